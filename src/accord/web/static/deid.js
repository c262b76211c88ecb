// While a release runs (a minute for a very large table) the page says so and the button
// cannot be pressed twice; without this script the form still works, it just waits silently.
// A large release file travels gzip-compressed inside the page (nothing is kept on the
// server); a click unpacks it in the browser and saves it under its name.
(function () {
  "use strict";
  var form = document.getElementById("deid-form");
  var note = document.getElementById("deid-working");
  if (form && note) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = "Working…";
      note.hidden = false;
      note.textContent = "Working: withholding cells and checking what a reader could still " +
        "work out. A very large table can take a minute; keep this page open.";
    });
  }

  function unpack(link) {
    var packed = atob(link.dataset.gzip);
    var bytes = new Uint8Array(packed.length);
    for (var i = 0; i < packed.length; i++) { bytes[i] = packed.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).blob().then(function (blob) {
      return new Blob([blob], { type: link.dataset.mime });
    });
  }

  document.querySelectorAll("a[data-gzip]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      unpack(link).then(function (blob) {
        var save = document.createElement("a");
        save.href = URL.createObjectURL(blob);
        save.download = link.getAttribute("download");
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(function () { URL.revokeObjectURL(save.href); }, 10000);
      });
    });
  });
})();
