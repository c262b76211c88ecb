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
  // tick for the dimensions and as suggestions for the count, and when nothing is filled in
  // yet, the first rows give a guess to check. Only the file's first 64 KB are read, in the
  // browser; nothing is sent until the form is.
  var tableInput = document.getElementById("deid-table");
  var columnsBox = document.getElementById("deid-columns");
  var dimsInput = document.getElementById("deid-dimensions");
  var countInput = document.getElementById("deid-count");
  var names = document.getElementById("deid-column-names");

  function splitLine(line, sep) {
    var out = [], cell = "", quoted = false;
    for (var i = 0; i < line.length; i++) {
      var ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++; }
        else if (ch === '"') { quoted = false; }
        else { cell += ch; }
      } else if (ch === '"') { quoted = true; }
      else if (ch === sep) { out.push(cell.trim()); cell = ""; }
      else { cell += ch; }
    }
    out.push(cell.trim());
    return out;
  }

  function separator(header) {
    // as the server reads it: commas, unless a spreadsheet saved semicolons or tabs
    if (header.indexOf(",") >= 0) { return ","; }
    var semi = header.split(";").length, tab = header.split("\t").length;
    return semi > 1 || tab > 1 ? (semi >= tab ? ";" : "\t") : ",";
  }

  function guess(columns, rows) {
    // whole-number columns that repeat a few values (years, coded bands) are dimensions; of
    // the others the count is the smallest, as a count never exceeds its population
    var whole = [], dims = [];
    columns.forEach(function (name, j) {
      if (name === "") { return; }
      var seen = {}, distinct = 0, sum = 0, isWhole = true, isNumber = true;
      rows.forEach(function (row) {
        var v = row[j] === undefined ? "" : row[j];
        if (v === "") { return; }
        if (!seen[v]) { seen[v] = true; distinct++; }
        if (/^\d+$/.test(v)) { sum += Number(v); } else { isWhole = false; }
        if (!/^-?\d*\.?\d+$/.test(v)) { isNumber = false; }
      });
      if (!isNumber) { dims.push(name); }
      else if (isWhole) {
        whole.push({ name: name, sum: sum, code: distinct <= 12 && distinct < rows.length / 2 });
      }
    });
    var amounts = whole.filter(function (c) { return !c.code; });
    var count = null;
    amounts.forEach(function (c) { if (!count || c.sum < count.sum) { count = c; } });
    whole.forEach(function (c) { if (c.code) { dims.push(c.name); } });
    return { dims: columns.filter(function (n) { return n !== "" && dims.indexOf(n) >= 0; }),
             count: count ? count.name : "" };
  }

  function chosenDims() {
    return dimsInput.value.split(",").map(function (n) { return n.trim(); })
      .filter(function (n) { return n !== ""; });
  }

  function offerColumns(columns, guessed) {
    columnsBox.textContent = "";
    names.textContent = "";
    var legend = document.createElement("p");
    legend.className = "hint";
    legend.textContent = guessed
      ? "Columns in your table: the dimensions and the count below are guessed from its " +
        "first rows; check them."
      : "Columns in your table: tick the dimensions.";
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

  var describe = document.getElementById("deid-describe");
  var specInput = document.getElementById("deid-spec");
  var pending = null;  // the guess for the chosen table, filled in once "Describe" is open
  var applied = null;  // the guess as filled in, to take back if a SPEC file is chosen

  function applyGuess() {
    // not while a SPEC file is chosen: the description would then be a second SPEC
    if (!pending || !describe.open || specInput.files.length) { return; }
    if (dimsInput.value.trim() === "" && countInput.value.trim() === "") {
      dimsInput.value = pending.dims.join(", ");
      countInput.value = pending.count;
      applied = { dims: dimsInput.value, count: countInput.value };
      offerColumns(pending.columns, true);
    }
    pending = null;
  }

  if (tableInput && columnsBox && dimsInput && countInput && names && describe && specInput) {
    var readTable = function () {
      var file = tableInput.files[0];
      pending = null;
      if (!file || !/\.csv$/i.test(file.name)) { offerColumns([], false); return; }
      file.slice(0, 65536).text().then(function (text) {
        var lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
        var sep = separator(lines[0]);
        var header = splitLine(lines[0], sep);
        var columns = header.filter(function (n) { return n !== ""; });
        var complete = file.size <= 65536 ? lines : lines.slice(0, -1);  // last may be cut
        var rows = complete.slice(1, 201).filter(function (l) { return l.trim() !== ""; })
          .map(function (l) { return splitLine(l, sep); });
        offerColumns(columns, false);
        if (rows.length) {
          var g = guess(header, rows);
          pending = { dims: g.dims, count: g.count, columns: columns };
          applyGuess();
        }
      });
    };
    tableInput.addEventListener("change", readTable);
    if (tableInput.files.length) { readTable(); }  // chosen before this script ran
    describe.addEventListener("toggle", applyGuess);
    specInput.addEventListener("change", function () {
      // a SPEC file after all: an untouched guess must not count as a description
      if (specInput.files.length && applied && dimsInput.value === applied.dims &&
          countInput.value === applied.count) {
        dimsInput.value = "";
        countInput.value = "";
        offerColumns(Array.prototype.map.call(names.options, function (o) { return o.value; }),
                     false);
      }
      applied = null;
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
