"""The whole release, read back from its files (issue 12): whatever shape the table has and
whatever other columns it carries, no count of 1 to 10 can be read from what is published,
neither directly from any column nor by combining published cells with the margins.

The check is independent of the engine: it knows only the true table the strategy drew and
the file `table.csv` on disk. Every number in the file that belongs to a cell (the count, a
column headed by a category, a column the strategy derived from the counts) makes that cell
known; the margins are known (DDG.md §3 `assume_margins_public`); a small cell is readable
when the known cells and the margin equations determine it (a rank test in exact arithmetic).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.deid.io.files import load_release_inputs, release_files
from accord.deid.release import release_loaded

AREA, BAND, TOTAL = "area", "band", "Total"


@dataclass
class Case:
    """A table as a file, its SPEC, and what the strategy knows about it."""

    csv_text: str
    spec: dict[str, object]
    truth: dict[tuple[str, str], int]
    areas: list[str]
    bands: list[str]
    # columns derived from the counts: the band whose count they reveal (None: the row's own)
    derived: dict[str, str | None] = field(default_factory=dict)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    areas = [f"a{i}" for i in range(draw(st.integers(2, 4)))]
    bands = [f"b{j}" for j in range(draw(st.integers(2, 4)))]
    value = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60))
    truth = {(a, b): draw(value) for a in areas for b in bands}
    wide = draw(st.booleans())
    # the kinds of extra column a spreadsheet carries, and how the SPEC treats each
    note = draw(st.sampled_from(["absent", "passed", "undescribed"]))
    code = draw(st.sampled_from(["absent", "with_reason", "without_reason", "undescribed"]))
    copy = draw(st.sampled_from(["absent", "undescribed", "passed"]))
    spec: dict[str, object] = {"score": 14}
    passed: dict[str, str] = {}
    derived: dict[str, str | None] = {}
    if wide:
        reading = draw(st.sampled_from(["wide", "long_by_mistake"]))
        header = [AREA, *bands, TOTAL]
        rows = [
            [a, *(str(truth[a, b]) for b in bands), str(sum(truth[a, b] for b in bands))]
            for a in areas
        ]
        if reading == "wide":
            spec |= {
                "dimensions": [AREA, BAND],
                "count": "n",
                "wide": {"dimension": BAND, "columns": bands, "total": TOTAL},
            }
        else:  # the defect: one band column taken for the count
            spec |= {"dimensions": [AREA], "count": bands[-1]}
        copied_band: str | None = bands[0]
    else:
        header = [AREA, BAND, "n"]
        rows = [[a, b, str(truth[a, b])] for a in areas for b in bands]
        spec |= {"dimensions": [AREA, BAND], "count": "n"}
        copied_band = None
        if draw(st.booleans()):
            header.append("pct")
            rows = [[*r, f"{100 * int(r[2]) / max(1, sum(truth.values())):.1f}"] for r in rows]
            derived["pct"] = None
            if draw(st.booleans()):
                spec["statistics"] = ["pct"]
    if note != "absent":
        header.append("note")
        rows = [[*r, draw(st.sampled_from(["", "provisional", "revised"]))] for r in rows]
        if note == "passed":
            passed["note"] = ""
    if code != "absent":
        header.append("fips")
        rows = [[*r, str(6001 + 2 * i)] for i, r in enumerate(rows)]
        if code == "with_reason":
            passed["fips"] = "a county code, not a count"
        elif code == "without_reason":
            passed["fips"] = ""
    if copy != "absent":
        header.append("n_copy")
        source = header.index(copied_band) if copied_band else 2
        rows = [[*r, r[source]] for r in rows]
        derived["n_copy"] = copied_band
        if copy == "passed":
            passed["n_copy"] = ""
    if passed:
        spec["pass_through"] = (
            dict(passed.items()) if any(passed.values()) else list(passed)
        )
        if isinstance(spec["pass_through"], dict):  # every column needs a reason in this form
            spec["pass_through"] = {k: v or "text" for k, v in passed.items()}
    return Case(_csv(header, rows), spec, truth, areas, bands, derived)


def _full_truth(case: Case) -> dict[tuple[str, str], int]:
    """Every cell of the table with its margins: (area, Total), (Total, band), (Total, Total)."""
    truth = dict(case.truth)
    for a in case.areas:
        truth[a, TOTAL] = sum(case.truth[a, b] for b in case.bands)
    for b in case.bands:
        truth[TOTAL, b] = sum(case.truth[a, b] for a in case.areas)
    truth[TOTAL, TOTAL] = sum(case.truth.values())
    return truth


def _known_cells(rows: list[dict[str, str]], case: Case, count: str) -> set[tuple[str, str]]:
    """The cells whose value some published number gives away."""
    known: set[tuple[str, str]] = set()
    truth = _full_truth(case)
    for r in rows:
        area = r.get(AREA, "")
        for column, text in r.items():
            if not text.strip():
                continue
            if column in case.bands or column == TOTAL:
                cell = (area, column)
            elif column == count and BAND in r:
                cell = (area, r[BAND])
            elif column in case.derived:
                band = case.derived[column]
                cell = (area, band if band is not None else r.get(BAND, TOTAL))
            else:
                continue  # labels, notes, codes: no count
            assert column in case.derived or int(text) == truth[cell]
            known.add(cell)
    return known


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(r) for r in matrix]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [x - factor * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def readable_small_cells(case: Case, published: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Small cells (margins included) a reader obtains: shown, or fixed by the additive
    equations once every known value is substituted (the cell's unit vector lies in the row
    space of the equations over the unknown cells). Known are the published cells and the
    margins that are not small: a small margin is withheld wherever it is published, so
    nobody knows it from elsewhere."""
    truth = _full_truth(case)
    margins = {c for c in truth if TOTAL in c}
    known = published | {c for c in margins if not 0 < truth[c] < 11}
    unknown = [c for c in truth if c not in known]
    groups = [[*((a, b) for b in case.bands), (a, TOTAL)] for a in [*case.areas, TOTAL]]
    groups += [[*((a, b) for a in case.areas), (TOTAL, b)] for b in [*case.bands, TOTAL]]
    # each group: its parts minus its total is zero
    equations = [
        [Fraction(int(c in g[:-1]) - int(c == g[-1])) for c in unknown] for g in groups
    ]
    base = _rank(equations) if unknown else 0
    readable = []
    for cell, value in truth.items():
        if not 0 < value < 11:
            continue
        if cell in known:
            readable.append(cell)
            continue
        probe = [Fraction(int(c == cell)) for c in unknown]
        if _rank([*equations, probe]) == base:
            readable.append(cell)
    return readable


@settings(
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=cases())
def test_no_small_count_can_be_read_back_from_a_release(tmp_path_factory, case):
    folder: Path = tmp_path_factory.mktemp("readback")
    (folder / "table.csv").write_text(case.csv_text)
    (folder / "spec.yaml").write_text(yaml.safe_dump(case.spec))
    loaded, spec, _ = load_release_inputs(folder / "table.csv", folder / "spec.yaml")
    if loaded is None or spec is None:
        return  # refused before anything was made
    release = release_loaded(loaded, spec)
    if release.blocked:
        return
    files, _ = release_files(release, spec)
    out = folder / "out"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    published = list(csv.DictReader((out / "table.csv").open()))
    known = _known_cells(published, case, spec.count)
    assert readable_small_cells(case, known) == []


def test_the_check_reads_small_counts_from_columns_and_from_margins():
    """The check itself, on a table whose only small count is A/b0 = 3."""
    truth = {("A", "b0"): 3, ("A", "b1"): 40, ("B", "b0"): 20, ("B", "b1"): 30}
    case = Case("", {}, truth, ["A", "B"], ["b0", "b1"])
    # the defect: a column headed by a category published as it is
    rows = [{AREA: "A", "b0": "3", "b1": ""}, {AREA: "B", "b0": "20", "b1": ""}]
    assert readable_small_cells(case, _known_cells(rows, case, "b1")) == [("A", "b0")]
    # nothing published: the margins alone fix nothing in a 2 × 2 table
    assert readable_small_cells(case, set()) == []
    # B's row published: the column total b0 (23) minus B/b0 (20) gives A/b0
    rows = [{AREA: "B", BAND: "b0", "n": "20"}, {AREA: "B", BAND: "b1", "n": "30"}]
    assert readable_small_cells(case, _known_cells(rows, case, "n")) == [("A", "b0")]
    # a small margin is known only when printed
    lone = {("A", "b0"): 1, ("A", "b1"): 0, ("B", "b0"): 0, ("B", "b1"): 0}
    small = Case("", {}, lone, ["A", "B"], ["b0", "b1"])
    zeros = {("A", "b1"), ("B", "b0"), ("B", "b1")}
    assert readable_small_cells(small, zeros) == []
    assert readable_small_cells(small, zeros | {("A", TOTAL)}) == [
        ("A", "b0"),
        ("A", TOTAL),
        (TOTAL, "b0"),
        (TOTAL, TOTAL),
    ]
