"""`accord deid …`: propose step 1; assess, release and audit aggregate tables; score a
ScoringUnit.

A thin layer over accord.deid: read files, call the engine, print findings. Bad input prints
every problem on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.context import AsUser, unit_of_work
from accord.deid.findings import Finding, has_errors, shortened

if TYPE_CHECKING:
    from accord.deid.model.tables import LoadedTable
    from accord.deid.spec.spec import TableSpec

# The engine (numba, scipy: over a second) is imported by the command that runs it, so that
# `accord deid --help` answers at once.

app = typer.Typer(help="De-identify aggregate tables under the CalHHS DDG (Edition 2.0).")

TableArg = Annotated[Path, typer.Argument(help="Long-format table, CSV or Parquet.")]
SpecOpt = Annotated[Path, typer.Option("--spec", help="YAML SPEC describing the table.")]
VALIDATION_EXIT = 2
AUDIT_FAIL_EXIT = 1
SHOWN_FINDINGS = 50  # the rest are counted by rule; report.json (on release) has them all


def _fail(findings: list[Finding]) -> typer.Exit:
    from accord.deid.masking.aggregation import PROPOSAL

    typer.echo("Problems found; nothing was written:", err=True)
    proposals = [f for f in findings if f.rule == PROPOSAL]
    shown, more = shortened([f for f in findings if f.rule != PROPOSAL], SHOWN_FINDINGS)
    for f in shown:
        typer.echo(f"  {f}", err=True)
    if more:
        typer.echo(f"  {more}", err=True)
    for f in proposals:
        typer.echo(f"  {f}", err=True)
    return typer.Exit(VALIDATION_EXIT)


def _load(table: Path, spec_path: Path, published: bool = False) -> tuple[LoadedTable, TableSpec]:
    from accord.deid.io.files import load_release_inputs

    loaded, spec, findings = load_release_inputs(table, spec_path, published=published)
    if loaded is None or spec is None:
        raise _fail(findings)
    return loaded, spec


STEP1_HELP = """Step 1 (DDG.md §5): propose whether the table shows personal characteristics.

META is a JSON object describing the table, not its data:

\b
  {
    "population": "patients of a children's hospital",   (optional, free text)
    "variables": [                                       (row/column headings, filters)
      {"name": "age_group", "classification": "age"},
      {"name": "hospital", "classification": "facility"}
    ],
    "implied_characteristics": ["age"],   (what the population reveals, DDG 4.1)
    "mandated_characteristics": ["sex"],  (variables a mandate expressly requires, DDG 5.5)
    "record_level": false                 (true: one row per person or entity, DDG.md §1)
  }

A variable counts when its classification is a personal characteristic (identifier, race,
ethnicity, language, sex, sexual_orientation, gender_identity, intersex, age,
socio_economic_status, immigration_status, residence, education, financial_status, personal)
and no mandate names it. Prints the proposal as JSON (has_personal_characteristics, reasons,
next_step); an expert confirms it. Record-level output gets no next step and no score: it
needs a case-by-case expert review (expert_review_required). Bad META prints every problem and
exits with code 2.
"""


@app.command(help=STEP1_HELP)
def step1(
    meta: Annotated[Path, typer.Argument(help="The table's metadata, JSON (see above).")],
    confirmed_by: Annotated[
        str | None, typer.Option("--confirmed-by", help="The expert who confirms the answer.")
    ] = None,
) -> None:
    from accord.deid.io.files import load_table_meta
    from accord.deid.scoring.steps import assess_step1

    table_meta, findings = load_table_meta(meta)
    if table_meta is None:
        raise _fail(findings)
    result = assess_step1(table_meta)
    result.confirmed_by = confirmed_by
    typer.echo(json.dumps(result.to_dict(), indent=2))


@app.command()
def assess(table: TableArg, spec: SpecOpt) -> None:
    """Steps 2–3: numerator/denominator condition, publication score, and whether to mask."""
    from accord.deid.io.files import assess_document

    loaded, tspec = _load(table, spec)
    doc, findings = assess_document(loaded, tspec)
    typer.echo(json.dumps(doc, indent=2))
    if has_errors(findings):
        raise typer.Exit(VALIDATION_EXIT)


def _write_atomic(directory: Path, files: dict[str, str]) -> None:
    """Write into a temporary directory beside DIR, then move each file into place."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        for name in files:
            os.replace(Path(tmp) / name, directory / name)


@contextmanager
def _progress(quiet: bool) -> Iterator[None]:
    """The engine's phases on stderr as it goes: a 650,000-cell table takes a minute."""
    logger = logging.getLogger("accord.deid")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  … %(message)s"))
    level = logger.level
    if not quiet:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not report progress.")]


@app.command()
def release(
    table: TableArg,
    spec: SpecOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    dataset: Annotated[
        int | None, typer.Option("--dataset", help="Catalog dataset the table comes from.")
    ] = None,
    quiet: QuietOpt = False,
    as_user: AsUser = None,
) -> None:
    """Step 4: suppress, audit, keep the release, and write DIR/table.csv, report.json,
    report.html, table.md. Acts as a user (--as or ACCORD_TOKEN) and is audited like the web;
    the release is listed in the history with its files."""
    from accord.releases.service import release_table

    with unit_of_work(as_user) as (session, actor, settings), _progress(quiet):
        result = release_table(session, actor, settings, table, spec, dataset_id=dataset)
        number, s = (result.record.id, result.record.summary) if result.record else (0, {})
    if result.status != "released":
        raise _fail(result.findings)  # a refusal is kept in the history all the same
    _write_atomic(out, result.files)
    typer.echo(
        f"release {number}: {s['rows']} rows, {s['primary']} primary, "
        f"{s['complementary']} complementary, {s['derived']} derived; audit passed: "
        f"{s['audit_passed']}; written to {out}"
    )


@app.command()
def audit(table: TableArg, spec: SpecOpt) -> None:
    """Audit a released table (blank = suppressed) against the attacker model of §10.5."""
    from accord.deid.io.files import audit_document

    loaded, tspec = _load(table, spec, published=True)
    doc = audit_document(loaded, tspec)
    typer.echo(json.dumps(doc, indent=2))
    if not doc["passed"]:
        raise typer.Exit(AUDIT_FAIL_EXIT)


@app.command()
def score(unit: Annotated[Path, typer.Argument(help="ScoringUnit JSON (DDG.md §7.10).")]) -> None:
    """Score a ScoringUnit and print the ScoreReport as JSON."""
    from accord.deid.io.files import score_document

    try:
        raw = json.loads(unit.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail([Finding("bad-scoring-unit", "7.10", f"cannot read {unit}: {exc}")]) from exc
    doc, problems = score_document(raw)
    if doc is None:
        raise _fail(problems)
    typer.echo(json.dumps(doc, indent=2))
