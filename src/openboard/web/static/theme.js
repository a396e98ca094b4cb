// The colour theme: the reader's system setting unless they chose one in the header, which this
// browser then remembers (local storage). Loaded in <head>, before the page is drawn, so that a
// chosen theme never flashes the other one; the choice list only appears where this script runs.
(function () {
  "use strict";
  var KEY = "openboard-theme";
  var root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY) || ""; } catch (error) { return ""; }
  }

  function apply(theme) {
    if (theme === "light" || theme === "dark") { root.setAttribute("data-theme", theme); }
    else { root.removeAttribute("data-theme"); }
  }

  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    var choice = document.getElementById("theme-choice");
    if (!choice) { return; }
    choice.value = stored();
    choice.addEventListener("change", function () {
      try {
        if (choice.value) { localStorage.setItem(KEY, choice.value); }
        else { localStorage.removeItem(KEY); }
      } catch (error) { /* storage refused (private mode): the choice lasts for this page */ }
      apply(choice.value);
    });
    choice.closest("label").hidden = false;
  });
})();
