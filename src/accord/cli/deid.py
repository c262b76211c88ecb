"""`accord deid …`: assess, release and audit aggregate tables; score a ScoringUnit.

A thin layer over accord.deid: read files, call the engine, print findings. Bad input prints
every problem on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from accord.deid.findings import Finding, Severity, has_errors
from accord.deid.output import render_human, render_odp, to_markdown
from accord.deid.release import assess_loaded, audit_loaded, release_loaded
from accord.deid.report import build_report, render_html
from accord.deid.scoring import score_presentation
from accord.deid.spec import TableSpec, load_spec
from accord.deid.tables import LoadedTable, build_cube, read_table

app = typer.Typer(help="De-identify aggregate tables under the CalHHS DDG (Edition 2.0).")

TableArg = Annotated[Path, typer.Argument(help="Long-format table, CSV or Parquet.")]
SpecOpt = Annotated[Path, typer.Option("--spec", help="YAML SPEC describing the table.")]
VALIDATION_EXIT = 2
AUDIT_FAIL_EXIT = 1


def _fail(findings: list[Finding]) -> typer.Exit:
    typer.echo("Problems found; nothing was written:", err=True)
    for f in findings:
        typer.echo(f"  {f}", err=True)
    return typer.Exit(VALIDATION_EXIT)


def _load(table: Path, spec_path: Path, published: bool = False) -> tuple[LoadedTable, TableSpec]:
    spec, findings = load_spec(spec_path)
    if spec is None:
        raise _fail(findings)
    long, findings = read_table(table)
    if long is None:
        raise _fail(findings)
    loaded, findings = build_cube(long, spec, published=published)
    if loaded is None:
        raise _fail(findings)
    return loaded, spec


@app.command()
def assess(table: TableArg, spec: SpecOpt) -> None:
    """Steps 2–3: numerator/denominator condition, publication score, and whether to mask."""
    loaded, tspec = _load(table, spec)
    a = assess_loaded(loaded, tspec)
    out = {
        "step2": a.step2.to_dict(),
        "score": a.score_total,
        "score_reports": [s.to_dict() for s in a.scores],
        "masking_required": a.masking_required,
        "findings": [f.to_dict() for f in a.findings],
    }
    typer.echo(json.dumps(out, indent=2))
    if has_errors(a.findings):
        raise typer.Exit(VALIDATION_EXIT)


def _write_atomic(directory: Path, files: dict[str, str]) -> None:
    """Write into a temporary directory beside DIR, then move each file into place."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        for name in files:
            os.replace(Path(tmp) / name, directory / name)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@app.command()
def release(
    table: TableArg,
    spec: SpecOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
) -> None:
    """Step 4: suppress, audit, and write DIR/table.csv, report.json, report.html, table.md."""
    loaded, tspec = _load(table, spec)
    rel = release_loaded(loaded, tspec)
    if rel.blocked:
        raise _fail([f for f in rel.findings if f.severity is Severity.ERROR])
    odp = render_odp(rel)
    human = render_human(rel)
    report = build_report(rel)
    _write_atomic(
        out,
        {
            "table.csv": _csv_text(odp.header, odp.rows),
            "metadata.txt": "\n".join(odp.notes) + "\n",
            "table.md": to_markdown(human, tspec.title),
            "report.json": json.dumps(report, indent=2) + "\n",
            "report.html": render_html(report),
        },
    )
    s = report["summary"]
    typer.echo(
        f"released {s['rows']} rows: {s['primary']} primary, {s['complementary']} "
        f"complementary, {s['derived']} derived; audit passed: {s['audit_passed']}; "
        f"written to {out}"
    )


@app.command()
def audit(table: TableArg, spec: SpecOpt) -> None:
    """Audit a released table (blank = suppressed) against the attacker model of §10.5."""
    loaded, tspec = _load(table, spec, published=True)
    report, _, _ = audit_loaded(loaded, tspec)
    cube = loaded.cube
    cells = [
        {
            "cell": cube.labels(c),
            "lo": _n(iv.lo),
            "hi": _n(iv.hi),
            "feasible_values": _n(iv.feasible_values),
            "method": iv.method,
        }
        for c, iv in sorted(report.intervals.items())
    ]
    typer.echo(
        json.dumps(
            {
                "passed": report.passed,
                "intervals": cells,
                "findings": [f.to_dict() for f in report.findings],
            },
            indent=2,
        )
    )
    if not report.passed:
        raise typer.Exit(AUDIT_FAIL_EXIT)


def _n(x: float) -> float | int | None:
    if x != x or x in (float("inf"), float("-inf")):
        return None
    return int(x) if float(x).is_integer() else x


@app.command()
def score(unit: Annotated[Path, typer.Argument(help="ScoringUnit JSON (DDG.md §7.10).")]) -> None:
    """Score a ScoringUnit and print the ScoreReport as JSON."""
    try:
        doc = json.loads(unit.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail([Finding("bad-scoring-unit", "7.10", f"cannot read {unit}: {exc}")]) from exc
    if not isinstance(doc, dict):
        raise _fail([Finding("bad-scoring-unit", "7.10", "ScoringUnit must be a JSON object")])
    reports = score_presentation(doc)
    problems = [f for r in reports for f in r.findings if f.severity is Severity.ERROR]
    if problems:
        raise _fail(problems)
    if doc.get("presentation") == "independent":
        typer.echo(
            json.dumps(
                {
                    "presentation": "independent",
                    "reports": [r.to_dict() for r in reports],
                    "masking_required": any(r.masking_required for r in reports),
                },
                indent=2,
            )
        )
    else:
        typer.echo(json.dumps(reports[0].to_dict(), indent=2))
