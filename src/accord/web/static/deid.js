// While a release runs (a minute for a very large table) the page says so and the button
// cannot be pressed twice; without this script the form still works, it just waits silently.
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

  // Headers that name categories rather than quantities: age bands (0-17, 65+, under 5,
  // 85 and over), years, plain numbers. Several such columns of counts make a wide table.
  var AGE_HEADER = new RegExp("^(?:ages?\\s*)?(?:\\d{1,3}\\s*(?:-|–|to)\\s*\\d{1,3}|" +
    "\\d{1,3}\\s*\\+|(?:under|<)\\s*\\d{1,3}|\\d{1,3}\\s*(?:and|or)\\s*(?:over|older|up))" +
    "(?:\\s*(?:years?|yrs?))?$", "i");
  var YEAR_HEADER = /^(?:19|20)\d\d$/;
  var TOTAL_HEADER = /^(?:grand\s+)?totals?$/i;

  function categoryHeader(name) {
    return AGE_HEADER.test(name) || YEAR_HEADER.test(name) || /^\d+$/.test(name);
  }

  function describeColumn(name, j, rows) {
    var seen = {}, distinct = 0, sum = 0, isWhole = true, isNumber = true, values = [];
    var wholes = 0, given = 0;
    rows.forEach(function (row) {
      var v = row[j] === undefined ? "" : row[j];
      values.push(v);
      if (v === "") { return; }
      if (!seen[v]) { seen[v] = true; distinct++; }
      given++;
      if (/^\d+$/.test(v)) { sum += Number(v); wholes++; } else { isWhole = false; }
      if (!/^-?\d*\.?\d+$/.test(v)) { isNumber = false; }
    });
    return { name: name, values: values, sum: sum, isNumber: isNumber, distinct: distinct,
             isWhole: isNumber && isWhole,
             // a few marks (*, <11) among counts: still counts, which the server will question
             mostlyWhole: wholes > 0 && wholes * 2 >= given,
             // whole numbers repeating a few values (years, coded bands) are categories
             code: distinct <= 12 && distinct < rows.length / 2 };
  }

  function addsUp(parts, total) {
    // in every row of the first rows where all are whole numbers, the parts sum to the total
    var checked = 0;
    var whole = function (v) { return /^\d+$/.test(v); };
    for (var i = 0; i < total.values.length; i++) {
      var cells = parts.map(function (c) { return c.values[i]; });
      if (!whole(total.values[i]) || !cells.every(whole)) { continue; }
      var sum = cells.reduce(function (a, v) { return a + Number(v); }, 0);
      if (sum !== Number(total.values[i])) { return false; }
      checked++;
    }
    return checked > 0;
  }

  function follows(label, by) {
    // every value of `by` comes with one value of `label`: a label (a region beside its
    // county, a name beside its code), not a dimension of its own
    var seen = {};
    if (label.distinct < 2) { return false; }  // one value: maybe a dimension, sorted
    for (var i = 0; i < by.values.length; i++) {
      var key = "=" + by.values[i];
      if (key in seen && seen[key] !== label.values[i]) { return false; }
      seen[key] = label.values[i];
    }
    return by.values.length > 1;
  }

  function unusedName(wanted, columns) {
    var taken = columns.map(function (n) { return n.toLowerCase(); });
    var name = wanted;
    for (var k = 2; taken.indexOf(name.toLowerCase()) >= 0; k++) { name = wanted + "_" + k; }
    return name;
  }

  function wideReading(stats) {
    // several count columns whose headers look like categories, or count columns that add
    // up to a Total column: one column per category of a dimension (a spreadsheet's shape)
    var total = stats.filter(function (c) { return c.isWhole && TOTAL_HEADER.test(c.name); })[0];
    var counts = stats.filter(function (c) {
      if (c === total) { return false; }
      return categoryHeader(c.name) ? c.mostlyWhole : c.isWhole && !c.code;
    });
    var categories = counts.filter(function (c) { return categoryHeader(c.name); });
    // a part never exceeds its total (that leaves out a code or a population beside them)
    var under = !total ? [] : counts.filter(function (c) {
      return c.values.every(function (v, i) {
        return v === "" || total.values[i] === "" || Number(v) <= Number(total.values[i]);
      });
    });
    var options = [counts, under, categories].filter(function (o) { return o.length >= 2; });
    var added = total ? options.filter(function (o) { return addsUp(o, total); })[0] : null;
    var parts = added || (categories.length >= 2 ? categories : null);
    if (!parts) { return null; }
    var names = parts.map(function (c) { return c.name; });
    var ages = names.every(function (n) { return AGE_HEADER.test(n); });
    var years = names.every(function (n) { return YEAR_HEADER.test(n); });
    return { columns: names, total: total ? total.name : "", checked: !total || !!added,
             dimension: ages ? "age_band" : years ? "year" : "category" };
  }

  function guess(columns, rows) {
    // text columns and coded whole numbers are dimensions (or labels that follow one); of
    // the other whole numbers the count is the smallest, as a count never exceeds its
    // population, unless the table is wide
    var stats = [];
    columns.forEach(function (name, j) {
      if (name !== "") { stats.push(describeColumn(name, j, rows)); }
    });
    var all = stats.map(function (c) { return c.name; });
    var wide = wideReading(stats);
    var used = wide ? wide.columns.concat(wide.total ? [wide.total] : []) : [];
    var dims = [], labels = [], rates = [], count = null;
    stats.forEach(function (c) {
      if (used.indexOf(c.name) >= 0) { return; }
      if (!c.isNumber) {
        var leader = dims.filter(function (d) { return follows(c, d); })[0];
        if (leader) { labels.push({ name: c.name, by: leader.name }); }
        else { dims.push(c); }
      } else if (c.isWhole && c.code) { dims.push(c); }
      else if (c.isWhole && !wide && (!count || c.sum < count.sum)) { count = c; }
      // decimals beside a count: a rate or percentage, withheld with it (a wide row's
      // statistic belongs to no one cell, so a wide table cannot have them)
      else if (!c.isWhole && !wide) { rates.push(c.name); }
    });
    var described = used.concat(dims.map(function (c) { return c.name; }),
                                labels.map(function (l) { return l.name; }), rates);
    if (count) { described.push(count.name); }
    var g = { dims: dims.map(function (c) { return c.name; }),
              count: count ? count.name : "", wide: null, labels: labels, statistics: rates,
              undescribed: all.filter(function (n) { return described.indexOf(n) < 0; }) };
    if (wide) {
      wide.dimension = unusedName(wide.dimension, all);
      g.wide = wide;
      g.dims.push(wide.dimension);
      g.count = unusedName("n", all);
    }
    return g;
  }

  function chosenDims() {
    return dimsInput.value.split(",").map(function (n) { return n.trim(); })
      .filter(function (n) { return n !== ""; });
  }

  function offerColumns(columns, guessed) {
    // guessed: the guess filled in below (null: nothing was guessed)
    columnsBox.textContent = "";
    names.textContent = "";
    var legend = document.createElement("p");
    legend.className = "hint";
    legend.textContent = !guessed ? "Columns in your table: tick the dimensions."
      : guessed.wide ? "Columns in your table: tick the dimensions. The description below " +
        "is guessed from its first rows; check it."
      : "Columns in your table: the dimensions and the count below are guessed from its " +
        "first rows; check them.";
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
  var guessBox = document.getElementById("deid-guess");
  // the fields a guess fills in
  var fields = {
    dims: dimsInput,
    count: countInput,
    wideColumns: document.getElementById("deid-wide-columns"),
    wideDimension: document.getElementById("deid-wide-dimension"),
    wideTotal: document.getElementById("deid-wide-total"),
    statistics: document.getElementById("deid-statistics"),
    passThrough: document.getElementById("deid-pass-through")
  };
  var wideBox = document.getElementById("deid-wide");
  var fieldKeys = Object.keys(fields);

  function setFields(values) {
    fieldKeys.forEach(function (k) { fields[k].value = values[k] || ""; });
  }

  function fieldValues() {
    var values = {};
    fieldKeys.forEach(function (k) { values[k] = fields[k].value; });
    return values;
  }

  function untouched() {
    return applied !== null && fieldKeys.every(function (k) {
      return fields[k].value === applied[k];
    });
  }

  function listed(items) {
    // "a", "a and b", "a, b and c"
    return items.length < 2 ? items.join("")
      : items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  }

  function sayGuess(g) {
    // what was guessed, in words, above the fields it filled in
    var said = [];
    var w = g.wide;
    if (w) {
      var others = g.dims.filter(function (d) { return d !== w.dimension; });
      said.push("This looks like a wide table, with one column per category: the columns " +
        listed(w.columns) + " will become rows of a new dimension, " + w.dimension +
        ", with their counts in a new column, " + g.count + "." +
        (w.total ? " " + w.total + " is their total and will be checked against them." : "") +
        (others.length === 1 ? " " + others[0] + " is a dimension." : "") +
        (others.length > 1 ? " " + listed(others) + " are dimensions." : "") +
        " Check this below; the names " + w.dimension + " and " + g.count +
        " are yours to change.");
      if (!w.checked) {
        said.push("In the first rows, " + w.total + " is not the sum of these columns: " +
          "check which columns belong to it.");
      }
    }
    g.labels.forEach(function (l) {
      said.push("The column " + l.name + " has one value for each " + l.by + ", so it looks " +
        "like a label rather than a dimension: it is proposed as a pass-through column, " +
        "published as it is. If it is a dimension of the table, move it to the dimension " +
        "columns.");
    });
    if (g.statistics.length) {
      var one = g.statistics.length === 1;
      said.push((one ? "The column " : "The columns ") + listed(g.statistics) + (one
        ? " holds decimals, so it looks like a rate or percentage: it is proposed as a " +
          "statistic column, withheld with its count."
        : " hold decimals, so they look like rates or percentages: they are proposed as " +
          "statistic columns, withheld with their count."));
    }
    if (g.undescribed.length) {
      said.push("Not described yet: " + listed(g.undescribed) + ". Every column of the " +
        "table must be described, or the release is refused: name " +
        (g.undescribed.length > 1 ? "each" : "it") + " below" +
        (w ? "" : " (a population, for example, under Population column)") +
        ", or remove it from the table.");
    }
    guessBox.textContent = "";
    said.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      guessBox.appendChild(p);
    });
    guessBox.hidden = said.length === 0;
  }

  function takeBack() {
    // an untouched guess goes (a SPEC file or another table was chosen)
    if (untouched()) { setFields({}); }
    applied = null;
    guessBox.hidden = true;
  }

  function applyGuess() {
    // not while a SPEC file is chosen: the description would then be a second SPEC
    if (!pending || !describe.open || specInput.files.length) { return; }
    var empty = fieldKeys.every(function (k) { return fields[k].value.trim() === ""; });
    if (empty) {
      var g = pending.guess, w = g.wide;
      setFields({
        dims: g.dims.join(", "),
        count: g.count,
        wideColumns: w ? w.columns.join(", ") : "",
        wideDimension: w ? w.dimension : "",
        wideTotal: w ? w.total : "",
        statistics: g.statistics.join(", "),
        passThrough: g.labels.map(function (l) { return l.name; }).join(", ")
      });
      if (w) { wideBox.open = true; }
      applied = fieldValues();
      offerColumns(pending.columns, g);
      sayGuess(g);
    }
    pending = null;
  }

  var ready = fieldKeys.every(function (k) { return fields[k]; });
  if (tableInput && columnsBox && guessBox && wideBox && ready && names && describe &&
      specInput) {
    var readTable = function () {
      var file = tableInput.files[0];
      pending = null;
      takeBack();
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
          pending = { guess: g, columns: columns };
          applyGuess();
        }
      });
    };
    tableInput.addEventListener("change", readTable);
    if (tableInput.files.length) { readTable(); }  // chosen before this script ran
    describe.addEventListener("toggle", applyGuess);
    specInput.addEventListener("change", function () {
      // a SPEC file after all: an untouched guess must not count as a description
      if (specInput.files.length && untouched()) {
        takeBack();
        offerColumns(Array.prototype.map.call(names.options, function (o) { return o.value; }),
                     false);
      }
      applied = null;
    });
  }
})();
