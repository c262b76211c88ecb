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

  // Describing the table: once a CSV table is chosen, its columns are offered as boxes to
  // tick for the dimensions and as suggestions for the count. Only the header is read, in the
  // browser; nothing is sent until the form is.
  var tableInput = document.getElementById("deid-table");
  var columnsBox = document.getElementById("deid-columns");
  var dimsInput = document.getElementById("deid-dimensions");
  var names = document.getElementById("deid-column-names");

  function headerNames(line) {
    var out = [], cell = "", quoted = false;
    for (var i = 0; i < line.length; i++) {
      var ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++; }
        else if (ch === '"') { quoted = false; }
        else { cell += ch; }
      } else if (ch === '"') { quoted = true; }
      else if (ch === ",") { out.push(cell.trim()); cell = ""; }
      else { cell += ch; }
    }
    out.push(cell.trim());
    return out.filter(function (n) { return n !== ""; });
  }

  function chosenDims() {
    return dimsInput.value.split(",").map(function (n) { return n.trim(); })
      .filter(function (n) { return n !== ""; });
  }

  function offerColumns(columns) {
    columnsBox.textContent = "";
    names.textContent = "";
    var legend = document.createElement("p");
    legend.className = "hint";
    legend.textContent = "Columns in your table: tick the dimensions.";
    columnsBox.appendChild(legend);
    columns.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      names.appendChild(option);
      var label = document.createElement("label");
      label.className = "check";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = chosenDims().indexOf(name) >= 0;
      box.addEventListener("change", function () {
        var dims = chosenDims().filter(function (n) { return n !== name; });
        if (box.checked) { dims.push(name); }
        dimsInput.value = dims.join(", ");
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + name));
      columnsBox.appendChild(label);
    });
    columnsBox.hidden = columns.length === 0;
  }

  if (tableInput && columnsBox && dimsInput && names) {
    tableInput.addEventListener("change", function () {
      var file = tableInput.files[0];
      if (!file || !/\.csv$/i.test(file.name)) { offerColumns([]); return; }
      file.slice(0, 65536).text().then(function (text) {
        offerColumns(headerNames(text.replace(/^\uFEFF/, "").split(/\r?\n/)[0]));
      });
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
