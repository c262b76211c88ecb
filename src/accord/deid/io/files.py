"""The files `deid` reads and the documents it produces, shared by the CLI and the web API.

Each loader returns what it read (or None) together with every problem found, so that an
interface can show the whole list at once and produce nothing. The document builders give
both interfaces the same JSON and the same release files. No database, no web.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml

from accord import plain_yaml
from accord.csv_cells import safe_row
from accord.deid.disclosure.published import audit_loaded
from accord.deid.findings import Finding, Severity
from accord.deid.io.output import render_human, render_odp, to_markdown
from accord.deid.io.report import build_report, render_html
from accord.deid.masking.recode import (
    drop_dimensions,
    recode_hierarchies,
    recode_table,
    without_dropped,
)
from accord.deid.model.tables import (
    LoadedTable,
    build_cube,
    melt_wide,
    merge_faces,
    read_previously_suppressed,
    read_table,
    undescribed_columns,
)
from accord.deid.quoting import quoted, shown
from accord.deid.release import Release
from accord.deid.scoring.assessment import assess_loaded
from accord.deid.scoring.scoring import score_presentation
from accord.deid.spec.spec import TableSpec, load_spec

MAX_FILE_NAME = 200


def load_release_inputs(
    table_path: Path,
    spec_path: Path,
    published: bool = False,
    confine_to: Path | None = None,
) -> tuple[LoadedTable | None, TableSpec | None, list[Finding]]:
    """Read the SPEC and the table and build the cube; (None, …, findings) on any problem.

    ``published`` reads blanks as suppressed values (an audit of a released table; a released
    linked table is read back as one set of cells). Otherwise a SPEC's `previously_suppressed`
    file is read into ``LoadedTable.earlier``. ``confine_to`` limits the files a SPEC may name
    (hierarchies, previously_suppressed) to plain file names inside that folder: a SPEC that
    came from someone else must not make the server read its other files.

    A SPEC's `recode` merges the table's categories before the cube is built, and the SPEC
    returned is the recoded one (its hierarchies name the new categories). A published table
    is read as printed, with the new categories already in it: only the hierarchies are
    rewritten, so a release can be audited with the SPEC that made it.
    """
    if confine_to is not None:
        findings = _escaping_files(spec_path, confine_to)
        if findings:
            return None, None, findings
    spec, findings = load_spec(spec_path)
    if spec is None:
        return None, None, findings
    long, findings = read_table(table_path)
    if long is not None and spec.wide is not None:
        long, findings = melt_wide(long, spec)
    if long is not None and spec.drop:
        long, spec = (long, without_dropped(spec)) if published else drop_dimensions(long, spec)
    if long is not None and spec.recode:
        if published:
            spec, findings = recode_hierarchies(spec)
            long = None if findings else long
        else:
            long, spec, findings = recode_table(long, spec)
    if long is not None and published:
        long, findings = merge_faces(long, spec)
    if long is None:
        return None, spec, findings
    loaded, findings = build_cube(long, spec, published=published)
    if loaded is not None and spec.previously_suppressed is not None and not published:
        loaded.earlier, findings = read_previously_suppressed(
            spec.previously_suppressed, loaded.cube, spec
        )
        if loaded.earlier is None:
            return None, spec, findings
    return loaded, spec, findings


def safe_file_name(name: str) -> str | None:
    """The name itself when it is a plain file name, else None (no folders, no '..', no NUL)."""
    if not name or len(name) > MAX_FILE_NAME or "\x00" in name or name.startswith("."):
        return None
    if any(ord(ch) < 32 for ch in name):
        return None
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.name != name or flavour.anchor:
            return None
    return name


def _escaping_files(spec_path: Path, folder: Path) -> list[Finding]:
    """Files the SPEC names (hierarchies, previously_suppressed) that are not plain names of
    files present in ``folder``."""
    try:
        raw = plain_yaml.load(spec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: not UTF-8, a bad date
        return []  # load_spec reports an unreadable SPEC in its own words
    if not isinstance(raw, Mapping):
        return []
    named: list[tuple[str, Any]] = []
    hierarchies = raw.get("hierarchies")
    if isinstance(hierarchies, Mapping):
        named.extend(
            (f"hierarchies.{shown(str(dim))}", entry.get("file"))
            for dim, entry in hierarchies.items()
            if isinstance(entry, Mapping)
        )
    earlier = raw.get("previously_suppressed")
    if isinstance(earlier, Mapping):
        named.append(("previously_suppressed", earlier.get("file")))
    problems = []
    for key, file in named:
        if not isinstance(file, str):
            continue
        if safe_file_name(file) is None:
            message = f"{key}: file {quoted(file)} must be a plain file name, no folders"
        elif not (folder / file).is_file():
            message = f"{key}: file {quoted(file)} was not uploaded with the SPEC"
        else:
            continue
        problems.append(Finding("bad-spec", "10.4", message))
    return problems


# --- Step 1: the table's metadata -------------------------------------------------------------

STEP1_LISTS = ("mandated_characteristics", "implied_characteristics")


def load_table_meta(path: Path) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Read and check the step-1 metadata of a table (see `accord deid step1 --help`)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Finding("bad-table-meta", "5", f"cannot read {path}: {exc}")]
    return check_table_meta(raw)


def check_table_meta(raw: Any) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Every shape problem of step-1 metadata at once; the metadata itself when there is none."""
    if not isinstance(raw, Mapping):
        return None, [Finding("bad-table-meta", "5", "the metadata must be a JSON object")]
    problems: list[Finding] = []
    variables = raw.get("variables", [])
    if not isinstance(variables, list):
        problems.append(Finding("bad-table-meta", "5", "variables must be a list"))
        variables = []
    for i, var in enumerate(variables):
        if not isinstance(var, Mapping):
            problems.append(Finding("bad-table-meta", "5", f"variables[{i}] must be an object"))
            continue
        for key in ("name", "classification"):
            if not isinstance(var.get(key), str) or not var.get(key):
                problems.append(
                    Finding("bad-table-meta", "5", f"variables[{i}].{key} must be a non-empty text")
                )
    if not isinstance(raw.get("population", ""), str):
        problems.append(Finding("bad-table-meta", "5", "population must be a text"))
    for key in STEP1_LISTS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append(Finding("bad-table-meta", "5", f"{key} must be a list of texts"))
    if not isinstance(raw.get("record_level", False), bool):
        problems.append(Finding("bad-table-meta", "1", "record_level must be true or false"))
    unknown = sorted(set(raw) - {"variables", "population", "record_level", *STEP1_LISTS})
    if unknown:
        problems.append(
            Finding("bad-table-meta", "5", f"unknown key(s): {', '.join(map(str, unknown))}")
        )
    if problems:
        return None, problems
    return dict(raw), []


# --- Documents: what the CLI prints and writes, and what the API returns ----------------------


def assess_document(loaded: LoadedTable, spec: TableSpec) -> tuple[dict[str, Any], list[Finding]]:
    """Steps 2–3 as JSON, with the assessment's findings (errors among them block)."""
    a = assess_loaded(loaded, spec)
    # not an error here (an assessment publishes nothing), but said now rather than at release
    unpublishable = [
        dataclasses.replace(f, severity=Severity.WARNING)
        for f in undescribed_columns(loaded.table, spec)
    ]
    a.findings.extend(unpublishable)
    doc = {
        "step2": a.step2.to_dict(),
        "score": a.score_total,
        "score_reports": [s.to_dict() for s in a.scores],
        "masking_required": a.masking_required,
        "findings": [f.to_dict() for f in a.findings],
    }
    return doc, a.findings


def audit_document(loaded: LoadedTable, spec: TableSpec) -> dict[str, Any]:
    """The §10.5 audit of a published table as JSON: passed, each cell's interval, findings."""
    report, _, _ = audit_loaded(loaded, spec)
    cube = loaded.cube
    cells = [
        {
            "cell": cube.labels(c),
            "lo": _number(iv.lo),
            "hi": _number(iv.hi),
            "feasible_values": _number(iv.feasible_values),
            "method": iv.method,
        }
        for c, iv in sorted(report.intervals.items())
    ]
    return {
        "passed": report.passed,
        "intervals": cells,
        "findings": [f.to_dict() for f in report.findings],
    }


def release_files(release: Release, spec: TableSpec) -> tuple[dict[str, str], dict[str, Any]]:
    """The files of a release by name (table.csv, metadata.txt, table.md, report.json,
    report.html) and the report they were made from."""
    odp = render_odp(release)
    report = build_report(release)
    files = {
        "table.csv": csv_text(odp.header, odp.rows),
        "metadata.txt": "\n".join(odp.notes) + "\n",
        "table.md": to_markdown(render_human(release), spec.title),
        "report.json": json.dumps(report, indent=2) + "\n",
        "report.html": render_html(report),
    }
    return files, report


def score_document(unit: Any) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Score a ScoringUnit (DDG.md §7.10); (None, errors) when it cannot be scored."""
    if not isinstance(unit, Mapping):
        return None, [Finding("bad-scoring-unit", "7.10", "ScoringUnit must be a JSON object")]
    reports = score_presentation(unit)
    problems = [f for r in reports for f in r.findings if f.severity is Severity.ERROR]
    if problems:
        return None, problems
    if unit.get("presentation") != "independent":
        return reports[0].to_dict(), []
    return {
        "presentation": "independent",
        "reports": [r.to_dict() for r in reports],
        "masking_required": any(r.masking_required for r in reports),
    }, []


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(safe_row(header))  # a label a spreadsheet would run is written as text
    writer.writerows(safe_row(row) for row in rows)
    return buf.getvalue()


def _number(x: float) -> float | int | None:
    """JSON has no NaN or infinity: an unbounded interval end is null."""
    if x != x or x in (float("inf"), float("-inf")):
        return None
    return int(x) if float(x).is_integer() else x
