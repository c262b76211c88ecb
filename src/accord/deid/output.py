"""Output standard for suppressed values (DDG.md §11).

Machine-readable: the CalHHS Open Data Portal form — a suppressed value is blank, a true zero is
`0`, and an annotation column carries the reason code (1 small number, 2 complementary). With
statistic columns each value column gets its own annotation (§16 A16). Human-readable: symbols
(S, C) in place of values, with footnotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.deid.audit import COMPLEMENTARY, PRIMARY
from accord.deid.release import Release

CODE_SMALL, CODE_COMPLEMENTARY = "1", "2"


@dataclass
class Rendered:
    header: list[str]
    rows: list[list[str]]
    notes: list[str]


def _codes(release: Release) -> list[str]:
    distinct = release.params.reason_disclosure == "distinct"
    out = []
    for s in release.row_status.tolist():
        if s == PRIMARY:
            out.append(CODE_SMALL)
        elif s == COMPLEMENTARY:
            out.append(CODE_COMPLEMENTARY if distinct else CODE_SMALL)
        else:
            out.append("")
    return out


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
    return note + ". Statistics of suppressed values are also withheld (blank)."


def render_odp(release: Release) -> Rendered:
    spec = release.assessment.spec
    table = release.loaded.table
    ann = spec.annotation_column
    stats = [s.column for s in spec.statistics]
    base = [n for n in table.names if n != ann and not n.endswith("_annotation")]
    header = [*base, ann, *(f"{c}_annotation" for c in stats)]
    codes = _codes(release)
    rows: list[list[str]] = []
    for i in range(table.n_rows):
        suppressed = release.row_status[i] > 0
        rec = []
        for name in base:
            value = table.columns[name][i]
            blank_stat = name in release.stat_blank and release.stat_blank[name][i]
            if (name == spec.count and suppressed) or blank_stat:
                value = ""
            rec.append(value)
        rec.append(codes[i])
        for c in stats:
            if suppressed:
                rec.append(codes[i])
            elif release.stat_blank[c][i]:
                rec.append(CODE_SMALL)
            else:
                rec.append("")
        rows.append(rec)
    return Rendered(header, rows, [metadata_note(release)])


def render_human(release: Release) -> Rendered:
    spec = release.assessment.spec
    p = release.params
    table = release.loaded.table
    distinct = p.reason_disclosure == "distinct"
    names = [n for n in table.names if n != spec.annotation_column]
    rows: list[list[str]] = []
    used: set[str] = set()
    for i in range(table.n_rows):
        s = int(release.row_status[i])
        mark = ""
        if s == PRIMARY or (s == COMPLEMENTARY and not distinct):
            mark = p.primary_symbol
        elif s == COMPLEMENTARY:
            mark = p.complementary_symbol
        rec = []
        for name in names:
            value = table.columns[name][i]
            if mark and (name == spec.count or name in release.stat_blank):
                value = mark
                used.add(mark)
            elif name in release.stat_blank and release.stat_blank[name][i]:
                value = p.primary_symbol
                used.add(p.primary_symbol)
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
