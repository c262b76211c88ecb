// While a release runs (a minute for a very large table) the page says so and the button
// cannot be pressed twice. Without this script the form still works; it just waits silently.
(function () {
  "use strict";
  var form = document.getElementById("deid-form");
  var note = document.getElementById("deid-working");
  if (!form || !note) {
    return;
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Working…";
    note.hidden = false;
    note.textContent = "Working: withholding cells and checking what a reader could still work " +
      "out. A very large table can take a minute; keep this page open.";
  });
})();
