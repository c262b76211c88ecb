// Run and delivery progress without reloading the page. Without this script the page offers
// a link to refresh; when a job's status changes the page reloads to show its outcome.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var boxes = document.querySelectorAll(".job[data-progress-url]");
  boxes.forEach(function (box) {
    var bar = box.querySelector("progress");
    var count = box.querySelector(".job-count");
    function poll() {
      fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          if (job.status !== box.dataset.status) {
            window.location.replace(window.location.pathname + "#runs");
            window.location.reload();
            return;
          }
          if (job.total > 0 && bar) {
            bar.max = job.total;
            bar.value = job.done;
            if (count) { count.textContent = job.done.toLocaleString() + " of " + job.total.toLocaleString() + " rows"; }
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 500);
  });
}());
