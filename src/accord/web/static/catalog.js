// Harvest progress without reloading the page. The page works without this script: it then
// offers a link to refresh. The status line is a polite live region, so a screen reader hears
// when the harvest ends, not every tick of the progress bar.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var box = document.getElementById("harvest");
  if (!box || (box.dataset.status !== "running" && box.dataset.status !== "queued")) {
    return;
  }
  var bar = document.getElementById("harvest-progress");
  var count = document.getElementById("harvest-count");
  var message = document.getElementById("harvest-message");

  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (run) {
        if (run.status !== box.dataset.status) {
          // A worker took it, or it ended (the finished page carries the drift report); drop a
          // "?notice=" that no longer fits.
          window.location.replace(window.location.pathname);
          return;
        }
        if (run.total > 0) {
          bar.max = run.total;
          bar.value = run.done;
          count.textContent = run.done + " of " + run.total;
        }
        var text = run.cancel_requested ? "Cancel requested; stopping…" : (run.message || "Reading the source…");
        if (message.textContent !== text) {  // unchanged text is not announced again
          message.textContent = text;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
}());
