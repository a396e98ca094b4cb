// Progressive enhancement of the leaderboard: filters apply as they change, without a reload.
// The page works without this file (the Apply button submits the same GET form); here the same
// URL is fetched, its results replace the shown ones, and the address bar keeps the whole view.
(function () {
  "use strict";
  var form = document.querySelector("form.filters");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.DOMParser) { return; }
  var pending = null;
  var typing = null;
  // The filter panel comes open (the page without this script shows every filter); on a phone it
  // folds away until asked for.
  var narrow = window.matchMedia && window.matchMedia("(max-width: 760px)").matches;
  var panel = form.querySelector("details.filter-panel");
  if (panel && narrow) { panel.open = false; }

  function viewUrl() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") { params.append(name, value); }
    });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  // push: a new view (the address bar follows); else the address bar moved first (back, forward)
  // and the form is brought in line with it too.
  function show(url, push) {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    results.setAttribute("aria-busy", "true");
    fetch(url, { signal: pending.signal, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("results");
        var freshForm = page.querySelector("form.filters");
        if (!fresh || !freshForm) { throw new Error("no results in the page"); }
        if (!push) {
          var wasOpen = panel ? panel.open : false;
          form.replaceChildren.apply(form, Array.from(freshForm.childNodes));
          panel = form.querySelector("details.filter-panel");
          if (panel) { panel.open = wasOpen; }
        } else if (panel) { // the form stays as the reader left it; its count of filters follows
          var count = freshForm.querySelector("details.filter-panel > summary");
          if (count) { panel.firstElementChild.replaceChildren.apply(panel.firstElementChild, Array.from(count.childNodes)); }
        }
        results.replaceChildren.apply(results, Array.from(fresh.childNodes));
        results.removeAttribute("aria-busy");
        if (push && url !== location.pathname + location.search) { history.pushState(null, "", url); }
      })
      .catch(function (error) {
        if (error.name === "AbortError") { return; }
        location.assign(url); // let the server answer in full, error page included
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "q") { return; } // the search follows typing, below
    show(viewUrl(), true);
  });
  form.addEventListener("input", function (event) {
    if (event.target.name !== "q") { return; }
    clearTimeout(typing);
    typing = setTimeout(function () { show(viewUrl(), true); }, 300);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typing);
    show(viewUrl(), true);
  });
  window.addEventListener("popstate", function () {
    clearTimeout(typing);
    show(location.pathname + location.search, false);
  });
})();
