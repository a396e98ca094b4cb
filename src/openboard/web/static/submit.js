// Progressive enhancement of the submit form; it works without this file.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) { return; }
  var weightType = document.getElementById("weight-type");
  var base = form.querySelector(".base-model");
  var chat = document.getElementById("chat-template");
  function showBase() {
    base.hidden = weightType.value === "Original";
  }
  weightType.addEventListener("change", showBase);
  showBase();
  form.querySelectorAll('input[name="model_type"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      chat.checked = radio.value === "chat";
    });
  });
})();
