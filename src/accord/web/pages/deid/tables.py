"""The De-identify page: upload an aggregate table and its SPEC, then assess it (steps 2–3)
or release it (suppress and audit), in the browser. A person without a SPEC file describes
the table in a few fields instead; the page writes the SPEC and shows it with the result.

It runs the same code as the JSON API (``uploads``). A release goes to the release
service, which stores it; the page then redirects to the stored release (``releases``), so a
refresh shows the report again instead of releasing twice. The written SPEC and the example
files are offered as ``data:`` links, which the app's Content-Security-Policy does not
restrict (it governs what a page loads, not what a link saves).
"""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from accord import plain_yaml
from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.config import Settings
from accord.deid.findings import Finding, shortened
from accord.deid.masking.aggregation import PROPOSAL
from accord.errors import Problem
from accord.web.deps import DbSession, csrf_protect, get_settings, require
from accord.web.pages.deid.assessment import assessment_context
from accord.web.pages.deid.linking import Linking, chosen_dataset, linking_choices
from accord.web.pages.deid.uploads import Outcome, assess_uploads, engine, release_uploads
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

Runner = Annotated[Actor, Depends(require(Action.DEID_RUN))]


@dataclasses.dataclass
class Described:
    """The table as the form describes it, for a person with no SPEC file: the SPEC's
    commonest keys, in words, each field kept as typed so a refused form shows it again."""

    title: str = ""
    dimensions: str = ""
    count: str = ""
    denominator: str = ""
    statistics: str = ""
    totals: str = "published"
    score: str = ""
    high_risk: bool = False
    wide_dimension: str = ""  # a wide table: the dimension its category columns make
    wide_columns: str = ""
    wide_total: str = ""
    pass_through: str = ""  # text columns published as they are

    @property
    def used(self) -> bool:
        typed = (self.dimensions, self.count, self.wide_dimension, self.wide_columns)
        return any(t.strip() for t in (*typed, self.wide_total, self.pass_through))

    def spec(self) -> tuple[str, list[Problem]]:
        """The SPEC these fields say, as YAML, and what is missing or wrong in them."""
        problems = []
        doc: dict[str, Any] = {}
        if self.title.strip():
            doc["title"] = self.title.strip()
        doc["dimensions"] = _names(self.dimensions)
        wide, wide_problems = self._wide()
        problems.extend(wide_problems)
        if wide and wide["dimension"] not in doc["dimensions"]:
            doc["dimensions"].append(wide["dimension"])
        if not doc["dimensions"]:
            problems.append(
                Problem("Dimension columns", "name the columns that say what each row counts")
            )
        doc["count"] = self.count.strip()
        if not doc["count"]:
            what = (
                "name the new column the counts go in, for example n"
                if wide is not None
                else "name the column that holds the counts"
            )
            problems.append(Problem("Count column", what))
        if wide:
            doc["wide"] = wide
        if self.totals == "unpublished":
            doc["totals"] = "unpublished"
        if self.denominator.strip():
            doc["denominator"] = self.denominator.strip()
        if _names(self.statistics):
            doc["statistics"] = _names(self.statistics)
        if _names(self.pass_through):
            doc["pass_through"] = _names(self.pass_through)
        if self.score.strip():
            try:
                doc["score"] = int(self.score.strip())
            except ValueError:
                problems.append(
                    Problem("Publication score", f"{self.score.strip()!r} is not a whole number")
                )
        if self.high_risk:
            doc["high_risk"] = True
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), problems

    def _wide(self) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The SPEC's `wide` key from the wide-table fields: None when they are all empty,
        an empty mapping when they are incomplete (the problems say what is missing)."""
        dimension, columns = self.wide_dimension.strip(), _names(self.wide_columns)
        total = self.wide_total.strip()
        if not (dimension or columns or total):
            return None, []
        problems = []
        if not dimension:
            problems.append(Problem(WIDE_DIMENSION, "name the dimension the category columns make"))
        if not columns:
            problems.append(
                Problem(WIDE_COLUMNS, "name the columns whose headers are its categories")
            )
        if problems:
            return {}, problems
        wide: dict[str, Any] = {"dimension": dimension, "columns": columns}
        if total:
            wide["total"] = total
        return wide, []


# the form's labels of the wide-table fields, as its problems name them
WIDE_DIMENSION = "Name of the dimension they make"
WIDE_COLUMNS = "Category columns"


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@dataclasses.dataclass
class Posted:
    """The files and description of the form. A browser sends a file field left empty as a
    part without a file name, which arrives as text: only parts with a file name are uploads."""

    table: UploadFile | None
    spec: UploadFile | None
    extras: list[UploadFile]
    described: Described


async def posted_files(request: Request) -> Posted:
    form = await request.form()  # already read (and cached) by the CSRF check
    chosen = [
        (key, value)
        for key, value in form.multi_items()
        if isinstance(value, UploadFile) and value.filename
    ]

    def first(name: str) -> UploadFile | None:
        return next((v for k, v in chosen if k == name), None)

    def text(name: str) -> str:
        value = form.get(name)
        return value[:2_000] if isinstance(value, str) else ""

    fields = (
        "title",
        "dimensions",
        "count",
        "denominator",
        "statistics",
        "totals",
        "score",
        "wide_dimension",
        "wide_columns",
        "wide_total",
        "pass_through",
    )
    described = Described(
        **{name: text(name) for name in fields}, high_risk=bool(text("high_risk"))
    )
    return Posted(first("table"), first("spec"), [v for k, v in chosen if k == "files"], described)


# The SPEC shown on the form; the same as README.md's (a test keeps the two alike).
EXAMPLE_SPEC = """\
dimensions: [county, age_band]      # the dimension columns
count: n                            # the count column (contributors)
totals: published                   # or unpublished; margins are summed if not given
hierarchies:                        # optional: child -> parent per dimension
  county: {file: counties.csv, child: county, parent: region}
denominator: population             # optional
statistics: [rate]                  # optional, blanked with their count
score: 14                           # or scoring: a ScoringUnit; high_risk: true|false
parameters: {min_feasible_values: 4, reason_disclosure: distinct}
publish: [[county, age_band], [county, sex]]   # optional: linked tables from one cross-tab
previously_suppressed: {file: earlier/table.csv}   # optional: keep earlier suppressions
survey: {profile: CHIS, sample_size: n_unweighted, rse: rse,   # optional (DDG §12)
         weighted: n_weighted,  # weighted count: CHIS < 500 weighted is small (withheld)
         stratified: true,      # false: statewide/county-wide, CHIS RSE > 20% to review
         review: judged}        # the reviewer's column: withhold (misleading) or keep
percent_only: {dimension: sex}      # optional: three-category percentages (DDG §10.6)
recode: {age_band: {"85-89": 85+, "90+": 85+}}   # optional: merge categories first (DDG §10.1)
drop: [year]                        # optional: publish without a dimension, summed over it
availability: avail                 # optional: rows marked 3 no data, 5 incomplete (DDG §11.1)
record_level: false                 # true: refused, one row per person needs an expert (DDG §1)
pass_through: [note]                # text published as it is; numbers need a reason:
                                    #   pass_through: {fips: county code, not a count}
wide: {dimension: age_band, columns: [0-17, 18-44, 45-64, 65+], total: Total}
                                    # optional: a spreadsheet's wide table, read as long
"""

# a first table to try the page with: fictional counts in real county names, five of them small
_SAMPLE_COUNTS = {
    "Alameda": (412, 1380, 960, 520),
    "Butte": (96, 240, 188, 131),
    "Colusa": (7, 25, 19, 12),
    "Del Norte": (14, 33, 29, 4),
    "Fresno": (350, 990, 702, 366),
    "Glenn": (9, 27, 22, 15),
    "Humboldt": (61, 160, 121, 88),
    "Inyo": (3, 12, 14, 9),
    "Kern": (298, 801, 560, 270),
}
SAMPLE_TABLE = "county,age_band,enrollees\n" + "".join(
    f"{county},{band},{n}\n"
    for county, counts in _SAMPLE_COUNTS.items()
    for band, n in zip(("0-17", "18-44", "45-64", "65+"), counts, strict=True)
)
SAMPLE_SPEC = (
    "title: Healthy Habits enrollees by county and age band (fictional)\n"
    "dimensions: [county, age_band]\ncount: enrollees\nscore: 14\n"
)

STEPS = {"assess": "Assess", "release": "Release"}
SHOWN_FINDINGS = 100  # a refused 650,000-cell table can have tens of thousands
# findings about what the SPEC says of the table's columns (tables.undescribed_columns)
DESCRIPTION_RULES = frozenset({"undescribed-column", "pass-through-numeric"})

# What a person can do about a refused release, in the guidelines' own remedies.
REMEDY = (
    "Change the table, not the rules: combine small categories into larger ones (for example "
    "age bands or regions, DDG §10.1), leave out the dimension that isolates the small "
    "counts, or publish one undifferentiated suppression mark for the cells listed "
    "(DDG §16 A4). Then upload the new table and try again."
)


def _where(f: Finding) -> str:
    if f.cell:
        return "Cell " + ", ".join(f"{k} = {v}" for k, v in f.cell.items())
    if f.row is not None:
        return f"Row {f.row}"
    return ""


def plain(findings: list[Finding]) -> list[Problem]:
    """Findings in the words the form shows: where, what, and the guideline section."""
    return [Problem(_where(f), f"{f.message} (DDG §{f.section})") for f in findings]


def data_url(text: str, mime: str) -> str:
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{mime};charset=utf-8;base64,{encoded}"


def _form(
    request: Request,
    linking: Linking,
    step: str = "assess",
    problems: list[Problem] | None = None,
    status: int = 200,
    described: Described | None = None,
    **context: Any,
) -> Response:
    return render(
        request,
        "deid/form.html",
        {
            "step": step if step in STEPS else "assess",
            "problems": problems or [],
            "described": described or Described(),
            "linking": linking,
            "example_spec": EXAMPLE_SPEC,
            "samples": [
                ("healthy-habits.csv", data_url(SAMPLE_TABLE, "text/csv"), "the table"),
                ("healthy-habits.yaml", data_url(SAMPLE_SPEC, "application/yaml"), "its SPEC"),
            ],
            **context,
        },
        status_code=status,
    )


@router.get("/deid")
def deid_form(request: Request, session: DbSession, actor: Runner) -> Response:
    return _form(request, linking_choices(session, actor))


@router.post("/deid")
def deid_run(
    request: Request,
    session: DbSession,
    actor: Runner,
    settings: Annotated[Settings, Depends(get_settings)],
    posted: Annotated[Posted, Depends(posted_files)],
    step: Annotated[str, Form()] = "",
    dataset: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    table, spec, extras, described = posted.table, posted.spec, posted.extras, posted.described
    missing = []
    if step not in STEPS:
        missing.append(Problem("What to do", "choose Assess or Release"))
    if table is None:
        missing.append(Problem("Table file", "choose the table (CSV or Parquet)"))
    written = ""  # the SPEC the page wrote from the description
    if described.used and spec is not None:
        missing.append(
            Problem("SPEC", "choose a SPEC file or describe the table on this page, not both")
        )
    elif described.used:
        written, problems = described.spec()
        missing.extend(problems)
        spec = UploadFile(io.BytesIO(written.encode("utf-8")), filename="spec.yaml")
    elif spec is None:
        missing.append(
            Problem("SPEC file", "choose the SPEC (YAML) that describes the table, or describe it")
        )
    dataset_id, unlinkable = chosen_dataset(session, actor, dataset)
    if unlinkable is not None:
        missing.append(unlinkable)
    if missing or table is None or spec is None:
        return _form(
            request, linking_choices(session, actor, dataset), step, missing, 422, described
        )
    spec_text = spec.file.read().decode("utf-8", errors="replace")
    spec.file.seek(0)
    shown = {"written_spec": written, "spec_href": data_url(written, "application/yaml")}
    if step == "assess":
        out = assess_uploads(table, spec, extras, engine(settings))
        if out.doc is None:
            linking = linking_choices(session, actor, dataset)
            return _refused(request, linking, step, out, described, spec_text)
        return render(
            request,
            "deid/assessment.html",
            {"doc": out.doc, "name": out.inputs.name, **assessment_context(out.doc), **shown},
        )
    out = release_uploads(session, actor, settings, table, spec, extras, dataset_id)
    if out.release_id is None:
        linking = linking_choices(session, actor, dataset)
        return _refused(request, linking, step, out, described, spec_text)
    # a GET after the POST: refreshing the report does not release the table again
    return RedirectResponse(f"/deid/releases/{out.release_id}", status_code=303)


def _refused(
    request: Request,
    linking: Linking,
    step: str,
    out: Outcome,
    described: Described,
    spec_text: str,
) -> Response:
    """Bad input re-shows the form with every problem; a blocked release says why and what
    to do, on the same form so the person can upload a changed table. A release blocked only
    by columns the SPEC does not describe is a description to correct, not a table that
    cannot be protected: those columns are listed as problems, without the remedies."""
    described_only = bool(out.findings) and all(f.rule in DESCRIPTION_RULES for f in out.findings)
    if out.status == "blocked" and not described_only:
        return _form(
            request,
            linking,
            step,
            status=422,
            described=described,
            blocked=_listed([f for f in out.findings if f.rule != PROPOSAL]),
            remedy=REMEDY,
            refused=out.refused,
            proposals=[_proposal(f, spec_text) for f in out.findings if f.rule == PROPOSAL],
        )
    return _form(request, linking, step, plain(out.findings), 422, described, refused=out.refused)


def _listed(findings: list[Finding]) -> list[Problem]:
    shown, more = shortened(findings, SHOWN_FINDINGS)
    return plain(shown) + ([Problem("", more)] if more else [])


def _proposal(finding: Finding, spec_text: str) -> dict[str, Any]:
    """A restructuring as the page shows it: what changes, the SPEC lines that do it, and
    the whole SPEC with them (comments are not kept), ready to choose as the SPEC file."""
    recode = finding.details.get("recode", {})
    drop = finding.details.get("drop", [])
    publish = finding.details.get("publish", [])
    lines = {k: v for k, v in (("publish", publish), ("drop", drop), ("recode", recode)) if v}
    try:
        base = plain_yaml.load(spec_text)
    except (yaml.YAMLError, ValueError):
        base = None
    changed = (
        yaml.safe_dump({**base, **lines}, sort_keys=False, allow_unicode=True)
        if isinstance(base, dict)
        else ""
    )
    return {
        "spec_href": data_url(changed, "application/yaml") if changed else "",
        "passes": finding.details["passes"],
        "cells": finding.details.get("cells", 0),
        "cells_before": finding.details.get("cells_before", 0),
        "drop": drop,
        "tables": [" × ".join(t) for t in publish],
        "shared": [d for d in publish[0] if all(d in t for t in publish)] if publish else [],
        "merges": sorted({(dim, new) for dim, m in recode.items() for new in m.values()}),
        "yaml": yaml.safe_dump(lines, sort_keys=False, allow_unicode=True),
    }
