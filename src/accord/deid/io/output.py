"""Output standard for suppressed values (DDG.md §11).

Machine-readable: the CalHHS Open Data Portal form — a suppressed value is blank, a true zero is
`0`, and an annotation column carries the reason code (1 small number, 2 complementary, 4
statistically unstable). With statistic columns each value column gets its own annotation
(§16 A16). A linked release (SPEC `publish`) writes one block of records per table, named in
a `table` column, one count and one annotation per record. Human-readable: symbols (S, C,
and U for an unreliable survey estimate) in place of values, with footnotes. A percent-only
release (§10.6) has no counts at all: its dimension columns and one column of whole
percentages.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.deid.disclosure.check import COMPLEMENTARY, PRIMARY
from accord.deid.model.availability import (
    INCOMPLETE,
    INCOMPLETE_SUFFIX,
    NO_DATA,
    NO_DATA_SYMBOL,
    row_availability,
)
from accord.deid.model.tables import TABLE_COLUMN
from accord.deid.quoting import quoted
from accord.deid.release import Release
from accord.deid.spec.spec import table_name
from accord.deid.survey.release_rules import FLAGGED, UNRELIABLE

CODE_SMALL, CODE_COMPLEMENTARY, CODE_UNSTABLE = "1", "2", "4"
# Not department parameters yet (params.py has no field for them); DDG.md §11.2 names only S, C.
UNRELIABLE_SYMBOL = "U"
FLAG_SUFFIX = " (L)"


@dataclass
class Rendered:
    header: list[str]
    rows: list[list[str]]
    notes: list[str]


def _availability(release: Release) -> list[int]:
    """Each row's §11.1 code 3 or 5 (0 for none): its mark, and 5 on totals over no data."""
    loaded = release.loaded
    codes = row_availability(loaded.availability, loaded.row_cell, release.groups)
    return [int(c) for c in codes]


def _codes(release: Release) -> list[str]:
    """One code per record: a suppression (1, 2) first, then no data (3), then statistical
    instability (4), then incomplete data (5)."""
    distinct = release.params.reason_disclosure == "distinct"
    available = _availability(release)
    out = []
    for i, s in enumerate(release.row_status.tolist()):
        if s == PRIMARY:
            out.append(CODE_SMALL)
        elif s == COMPLEMENTARY:
            out.append(CODE_COMPLEMENTARY if distinct else CODE_SMALL)
        elif available[i] == NO_DATA:
            out.append(str(NO_DATA))
        elif len(release.row_reliability) and release.row_reliability[i] in (FLAGGED, UNRELIABLE):
            out.append(CODE_UNSTABLE)
        elif available[i] == INCOMPLETE:
            out.append(str(INCOMPLETE))
        else:
            out.append("")
    return out


def _survey_name(release: Release) -> str:
    survey = release.assessment.spec.survey
    return "" if survey is None else survey.profile.name


def metadata_note(release: Release) -> str:
    """The data-dictionary text §11.1 rule 4 asks for."""
    p = release.params
    t = p.small_cell_threshold
    note = (
        f"Small-cell method: values derived from 1 to {t - 1} individuals are suppressed "
        f"(< {t}); zeros are shown as 0. Column '{release.assessment.spec.annotation_column}'"
        " annotates suppressed values: 1 = suppressed because the number is small"
    )
    if p.reason_disclosure == "distinct":
        note += "; 2 = suppressed as a complementary cell so a small number cannot be calculated"
    else:
        note += (
            " or suppressed so that a small number cannot be calculated (this department "
            "does not distinguish the two; §16 A4)"
        )
    note += ". Statistics of suppressed values are also withheld (blank)."
    spec = release.assessment.spec
    if spec.publish:
        names = "; ".join(table_name(face) for face in spec.publish)
        note += (
            f" This release publishes {len(spec.publish)} linked table(s) of one "
            f"cross-tabulation ({names}), named in column '{TABLE_COLUMN}'; a dimension a "
            f"table does not break down by reads '{spec.total_label}'. A total shared by "
            "several tables is the same value with the same annotation in each."
        )
    if spec.drop:
        note += (
            f" The table is published without {', '.join(spec.drop)}: its counts are added "
            "together over it (DDG §10.1)."
        )
    if spec.recode:
        merged = sorted({new for codes in spec.recode.values() for new in codes.values()})
        note += (
            " Small categories were combined before suppression (DDG §10.1): "
            + "; ".join(merged)
            + "."
        )
    if spec.availability:
        note += (
            " 3 = no data available (the value is blank, which does not mean zero); 5 = "
            "incomplete data (a total over a category with no data is the total of the data "
            "received, and is marked 5 too)."
        )
    if release.loaded.earlier is not None:
        note += (
            " Cells withheld in the earlier related release stay withheld in this one, so "
            "the two cannot be combined to recover them (a cell that is now zero is shown)."
        )
    if release.assessment.spec.survey is not None:
        note += (
            f" 4 = statistically unstable under the {_survey_name(release)} reliability rules: "
            "a blank value is withheld for quality (not for privacy), a value shown is flagged "
            "as of low reliability. The small-cell rule counts unweighted respondents."
        )
        profile = release.assessment.spec.survey.profile
        rules = [r.describe() for r in profile.rules if r.action == "suppress"]
        if rules:
            note += (
                f" Cells small under the {_survey_name(release)} survey's own confidentiality "
                f"rules ({'; '.join(rules)}) are withheld whatever the score, with "
                "complementary cells (code 1; code 2 when the count itself is not below "
                f"{t})."
            )
    return note


def percent_only_note(release: Release) -> str:
    po = release.percent_only
    assert po is not None
    min_total = release.params.three_category_min_total
    return (
        f"{po.footnote} Only whole-number percentages of {quoted(po.dimension)} are published "
        f"(non-zero values under 1% are shown as <1%); every percentage base is at least "
        f"{min_total:,} (CalHHS DDG Edition 2.0, 4.4.4)."
    )


def _render_percent_only(release: Release) -> Rendered:
    spec = release.assessment.spec
    po_spec = spec.percent_only
    assert po_spec is not None and release.percent_only is not None
    shown = release.percent_only.shown
    header = [*spec.dimensions, po_spec.column]
    rows = []
    for i in range(release.loaded.table.n_rows):
        cell = int(release.loaded.row_cell[i])
        rec = [release.loaded.table.columns[d][i] for d in spec.dimensions]
        rows.append([*rec, shown.get(cell, "")])
    return Rendered(header, rows, [percent_only_note(release)])


def _published(release: Release) -> list[str]:
    """The columns a release writes, in the table's order: only those the SPEC describes or
    passes through (the loader refuses a table with others; this keeps the rule here too)."""
    spec = release.assessment.spec
    allowed = {*spec.published_columns(), TABLE_COLUMN if spec.publish else ""}
    return [n for n in release.loaded.table.names if n in allowed]


def render_odp(release: Release) -> Rendered:
    if release.percent_only is not None:
        rendered = _render_percent_only(release)
        header = [*rendered.header, release.assessment.spec.annotation_column]
        return Rendered(header, [[*r, ""] for r in rendered.rows], rendered.notes)
    spec = release.assessment.spec
    table = release.loaded.table
    ann = spec.annotation_column
    stats = [s.column for s in spec.statistics]
    base = _published(release)
    header = [*base, ann, *(f"{c}_annotation" for c in stats)]
    codes = _codes(release)
    count_withheld = release.count_withheld
    rows: list[list[str]] = []
    for i in range(table.n_rows):
        suppressed = release.row_status[i] > 0
        rec = []
        for name in base:
            value = table.columns[name][i]
            blank_stat = name in release.stat_blank and release.stat_blank[name][i]
            if (name == spec.count and count_withheld[i]) or blank_stat:
                value = ""
            rec.append(value)
        rec.append(codes[i])
        r = int(release.row_reliability[i]) if len(release.row_reliability) else 0
        for c in stats:
            if suppressed or r == UNRELIABLE:
                rec.append(codes[i])
            elif release.stat_blank[c][i]:
                rec.append(CODE_SMALL)  # §10.3: a rounded zero of a non-zero count
            elif r == FLAGGED:
                rec.append(CODE_UNSTABLE)
            else:
                rec.append(codes[i] if codes[i] in (str(NO_DATA), str(INCOMPLETE)) else "")
        rows.append(rec)
    return Rendered(header, rows, [metadata_note(release)])


def render_human(release: Release) -> Rendered:
    if release.percent_only is not None:
        return _render_percent_only(release)
    spec = release.assessment.spec
    p = release.params
    table = release.loaded.table
    distinct = p.reason_disclosure == "distinct"
    names = _published(release)
    stats = [s.column for s in spec.statistics]
    rows: list[list[str]] = []
    used: set[str] = set()
    reliability = release.row_reliability
    count_withheld = release.count_withheld
    available = _availability(release)
    for i in range(table.n_rows):
        s = int(release.row_status[i])
        r = int(reliability[i]) if len(reliability) else 0
        mark = ""
        if s == PRIMARY or (s == COMPLEMENTARY and not distinct):
            mark = p.primary_symbol
        elif s == COMPLEMENTARY:
            mark = p.complementary_symbol
        elif available[i] == NO_DATA:
            mark = NO_DATA_SYMBOL
        elif r == UNRELIABLE:
            mark = UNRELIABLE_SYMBOL
        rec = []
        for name in names:
            value = table.columns[name][i]
            if mark == UNRELIABLE_SYMBOL and name == spec.count and not count_withheld[i]:
                pass  # a true zero stays 0 (§10.2 rule 2)
            elif mark and (name == spec.count or name in release.stat_blank):
                value = mark
                used.add(mark)
            elif (
                r == FLAGGED
                and value.strip()
                and (
                    (name in release.stat_blank and not release.stat_blank[name][i])
                    or (name == spec.count and not stats)
                )
            ):
                value += FLAG_SUFFIX
                used.add(FLAG_SUFFIX)
            elif name in release.stat_blank and release.stat_blank[name][i]:
                value = p.primary_symbol
                used.add(p.primary_symbol)
            elif available[i] == INCOMPLETE and name == spec.count and not mark:
                value += INCOMPLETE_SUFFIX
                used.add(INCOMPLETE_SUFFIX)
            rec.append(value)
        rows.append(rec)
    t = p.small_cell_threshold
    notes = []
    if p.primary_symbol in used:
        notes.append(
            f"{p.primary_symbol}: count below {t}, not shown under the CalHHS DDG Edition 2.0."
        )
    if p.complementary_symbol in used and distinct:
        notes.append(
            f"{p.complementary_symbol}: value withheld so that a small count cannot be "
            "calculated, under the CalHHS DDG Edition 2.0."
        )
    survey = _survey_name(release)
    if UNRELIABLE_SYMBOL in used:
        notes.append(
            f"{UNRELIABLE_SYMBOL}: estimate withheld because it is statistically unreliable "
            f"under the {survey} survey's rules (a quality rule, not a privacy suppression)."
        )
    if NO_DATA_SYMBOL in used:
        notes.append(f"{NO_DATA_SYMBOL}: no data available (not zero).")
    if INCOMPLETE_SUFFIX in used:
        notes.append(
            f"{INCOMPLETE_SUFFIX.strip()}: incomplete data; the value covers only the data "
            "received (a total over a category with no data included)."
        )
    if FLAG_SUFFIX in used:
        notes.append(
            f"{FLAG_SUFFIX.strip()}: estimate of low statistical reliability under the {survey} "
            "survey's rules; interpret with caution."
        )
    return Rendered(names, rows, notes)


def to_markdown(rendered: Rendered, title: str = "") -> str:
    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(rendered.header) + " |")
    lines.append("|" + "---|" * len(rendered.header))
    lines.extend("| " + " | ".join(r) + " |" for r in rendered.rows)
    if rendered.notes:
        lines.append("")
        lines.extend(rendered.notes)
    return "\n".join(lines) + "\n"
