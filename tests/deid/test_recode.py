"""SPEC `recode` (DDG.md §10.1): categories are merged before the table is protected.

The table has two small age bands in every county; merged into "85+" they are no longer
small, so the release withholds nothing. Hierarchies are rewritten so the merged category
sits under its old parent, and every SPEC that cannot be applied is refused with findings.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.io.files import load_release_inputs
from accord.deid.masking.recode import recode_table
from accord.deid.model.tables import LongTable, build_cube
from accord.deid.spec.spec import TableSpec, parse_spec

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

runner = CliRunner()

AGES = ("18-64", "65-84", "85-89", "90+")
# county -> (count, population) per age band; 85-89 and 90+ are small, their sum is not
COUNTS = {
    "A": ((50, 900), (30, 400), (6, 60), (5, 40)),
    "B": ((60, 1000), (25, 300), (4, 50), (8, 45)),
    "C": ((40, 700), (20, 250), (7, 55), (9, 35)),
}
SPEC = (
    "dimensions: [county, age]\ncount: n\ndenominator: pop\nscore: 14\n"
    "pass_through: [source, note]\n"
)
RECODE = 'recode:\n  age: {"85-89": "85+", "90+": "85+"}\n'


def table_text(notes: dict[tuple[str, str], str] | None = None) -> str:
    """Long format with every margin printed; `source` is constant, `note` varies."""
    notes = notes or {}
    lines = ["county,age,n,pop,source,note"]
    totals: dict[str, list[int]] = {}
    for county, cells in COUNTS.items():
        for age, (n, pop) in zip(AGES, cells, strict=True):
            lines.append(f"{county},{age},{n},{pop},DOF,{notes.get((county, age), '')}")
            for key in (age, "Total"):
                part = totals.setdefault(key, [0, 0])
                part[0] += n
                part[1] += pop
        n, pop = sum(c[0] for c in cells), sum(c[1] for c in cells)
        lines.append(f"{county},Total,{n},{pop},DOF,")
    lines.extend(f"Total,{age},{n},{pop},DOF," for age, (n, pop) in totals.items())
    return "\n".join(lines) + "\n"


def write(folder: Path, table: str, spec: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "t.csv").write_text(table)
    (folder / "s.yaml").write_text(spec)
    return folder / "t.csv", folder / "s.yaml"


def release(folder: Path, table: str, spec: str) -> tuple[int, str, Path]:
    t, s = write(folder, table, spec)
    out = folder / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    return result.exit_code, result.output, out


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def spec_of(text: str) -> TableSpec:
    import yaml

    spec, findings = parse_spec(yaml.safe_load(text))
    assert spec is not None, findings
    return spec


def long(text: str) -> LongTable:
    rows = list(csv.reader(text.strip().splitlines()))
    return LongTable(rows[0], {h: [r[j] for r in rows[1:]] for j, h in enumerate(rows[0])})


# --- releases -----------------------------------------------------------------------------


def test_small_bands_are_withheld_without_recode_and_merged_with_it(tmp_path):
    code, output, out = release(tmp_path / "plain", table_text(), SPEC)
    assert code == 0, output
    withheld = [r for r in read_rows(out / "table.csv") if r["n"] == ""]
    assert {r["age"] for r in withheld} >= {"85-89", "90+"}

    code, output, out = release(tmp_path / "recoded", table_text(), SPEC + RECODE)
    assert code == 0, output
    rows = read_rows(out / "table.csv")
    assert not [r for r in rows if r["n"] == ""]
    assert [(r["county"], r["age"]) for r in rows[:4]] == [
        ("A", "18-64"),
        ("A", "65-84"),
        ("A", "85+"),
        ("A", "Total"),
    ]
    merged = {r["county"]: (r["n"], r["pop"]) for r in rows if r["age"] == "85+"}
    assert merged == {
        "A": ("11", "100"),
        "B": ("12", "95"),
        "C": ("16", "90"),
        "Total": ("39", "285"),
    }
    # margins still add up: every county's total is the sum of its printed bands
    for county in ("A", "B", "C", "Total"):
        parts = [int(r["n"]) for r in rows if r["county"] == county and r["age"] != "Total"]
        total = [int(r["n"]) for r in rows if r["county"] == county and r["age"] == "Total"]
        assert total == [sum(parts)]
    assert {r["source"] for r in rows} == {"DOF"}
    report = json.loads((out / "report.json").read_text())
    assert [(r["cell"]["county"], r["cell"]["age"]) for r in report["rows"]] == [
        (r["county"], r["age"]) for r in rows
    ]
    assert report["summary"]["rows"] == len(rows) == 16
    assert not any(r["suppressed"] for r in report["rows"])


def test_loader_returns_the_recoded_table(tmp_path):
    notes = {("A", "90+"): "provisional"}
    loaded, spec, findings = load_release_inputs(*write(tmp_path, table_text(notes), SPEC + RECODE))
    assert loaded is not None and spec is not None, findings
    cols = loaded.table.columns
    assert "85-89" not in cols["age"] and cols["age"].count("85+") == 4
    a85 = cols["age"].index("85+")
    assert cols["note"][a85] == ""  # the merged rows disagreed
    assert spec.recode == {"age": {"85-89": "85+", "90+": "85+"}}


def test_a_table_published_elsewhere_is_read_as_printed(tmp_path):
    """An audit reads the table as it was printed: its old categories are not merged."""
    t, s = write(tmp_path, table_text(), SPEC + RECODE)
    loaded, _, findings = load_release_inputs(t, s, published=True)
    assert loaded is not None, findings
    assert "85-89" in loaded.table.columns["age"]


def test_numbers_in_yaml_are_codes_as_text(tmp_path):
    text = "year,n\n2023,30\n2024,5\n2025,40\nTotal,75\n"
    spec = (
        "dimensions: [year]\ncount: n\nscore: 14\nrecode: {year: {2023: 2023-24, 2024: 2023-24}}\n"
    )
    code, output, out = release(tmp_path, text, spec)
    assert code == 0, output
    rows = read_rows(out / "table.csv")
    assert [(r["year"], r["n"]) for r in rows] == [
        ("2023-24", "35"),
        ("2025", "40"),
        ("Total", "75"),
    ]


# --- hierarchies ---------------------------------------------------------------------------

HIER_SPEC = (
    "dimensions: [county, sex]\ncount: n\nscore: 14\nhierarchies:\n"
    "  county: {map: {Alpine: North, Sierra: North, Butte: North, Fresno: South, Kern: South}}\n"
)


def hier_table() -> str:
    values = {"Alpine": (3, 4), "Sierra": (9, 8), "Butte": (40, 45), "Fresno": (50, 60)}
    values["Kern"] = (70, 65)
    lines = ["county,sex,n"]
    for county, (f, m) in values.items():
        lines += [f"{county},F,{f}", f"{county},M,{m}"]
    return "\n".join(lines) + "\n"


def test_children_of_one_parent_merge_and_the_hierarchy_follows(tmp_path):
    spec = HIER_SPEC + 'recode: {county: {Alpine: "Alpine + Sierra", Sierra: "Alpine + Sierra"}}\n'
    loaded, tspec, findings = load_release_inputs(*write(tmp_path, hier_table(), spec))
    assert loaded is not None and tspec is not None, findings
    assert dict(tspec.hierarchies["county"]) == {
        "Butte": "North",
        "Fresno": "South",
        "Kern": "South",
        "Alpine + Sierra": "North",
    }
    code, output, out = release(tmp_path, hier_table(), spec)
    assert code == 0, output
    rows = read_rows(out / "table.csv")
    merged = {r["sex"]: r["n"] for r in rows if r["county"] == "Alpine + Sierra"}
    assert merged == {"F": "12", "M": "12"}
    assert not {"Alpine", "Sierra"} & {r["county"] for r in rows}
    # the release is audited with the SPEC that made it: the hierarchy names the new county
    result = runner.invoke(
        app, ["audit", str(out / "table.csv"), "--spec", str(tmp_path / "s.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passed"]


def test_merging_into_an_existing_category_of_the_same_parent(tmp_path):
    spec = HIER_SPEC + "recode: {county: {Alpine: Butte, Sierra: Butte}}\n"
    loaded, tspec, findings = load_release_inputs(*write(tmp_path, hier_table(), spec))
    assert loaded is not None and tspec is not None, findings
    cols = loaded.table.columns
    butte = [cols["n"][i] for i in range(loaded.table.n_rows) if cols["county"][i] == "Butte"]
    assert butte == ["52", "57"]
    assert tspec.hierarchies["county"]["Butte"] == "North"


@pytest.mark.parametrize(
    ("recode", "needle"),
    [
        ("{county: {Alpine: X, Fresno: X}}", "'Alpine' and 'Fresno' have different parents"),
        ("{county: {Alpine: Fresno}}", "'Alpine' and 'Fresno' have different parents"),
        ("{county: {North: Northern}}", "'North' is a parent in the hierarchy"),
        ("{county: {Alpine: South}}", "'South' is already a parent"),
        ("{county: {Alpin: X}}", "'Alpin' is not a category of 'county'"),
    ],
)
def test_hierarchy_recodes_that_cannot_apply_write_nothing(tmp_path, recode, needle):
    code, output, out = release(tmp_path, hier_table(), HIER_SPEC + f"recode: {recode}\n")
    assert code == 2
    assert needle in output
    assert not out.exists()


# --- bad SPECs -----------------------------------------------------------------------------

BAD_SPECS = [
    (SPEC + "recode: 1\n", "recode must be a mapping of dimension to {category: new category}"),
    (SPEC + "recode: {sex: {F: X}}\n", "recode for unknown dimension 'sex'"),
    (SPEC + "recode: {age: [85+]}\n", "recode.age must be a mapping of category to new category"),
    (SPEC + 'recode: {age: {"85-89": [x]}}\n', "recode.age['85-89'] must be a new category"),
    (SPEC + "recode: {age: {null: 85+}}\n", "recode.age must be a mapping with categories"),
    (SPEC + "recode: {age: {true: 85+}}\n", "as keys, not boolean true"),
    (SPEC + 'recode: {age: {"85-89": ""}}\n', "the new category of '85-89' is empty"),
    (SPEC + 'recode: {age: {" ": 85+}}\n', "recode.age: a category is empty"),
    (SPEC + 'recode: {age: {"85-89": Total}}\n', "cannot become 'Total', the total label"),
    (SPEC + "recode: {age: {Total: All}}\n", "the total 'Total' cannot be recoded"),
    (SPEC + "total_label: All\nrecode: {age: {90+: All}}\n", "cannot become 'All'"),
    (SPEC + "recode: {age: {85-89: 90+, 90+: 85+}}\n", "write the final category"),
    (SPEC + "inclusive: [age]\n" + RECODE, "select-all-that-apply"),
    (SPEC + "statistics: [rate]\n" + RECODE, "recode cannot be combined with statistics"),
    (
        SPEC + "survey: {profile: CHIS, sample_size: pop}\n" + RECODE,
        "recode cannot be combined with survey",
    ),
    (SPEC + "percent_only: {dimension: county}\n" + RECODE, "cannot be combined with percent_only"),
    (
        SPEC + "previously_suppressed: {file: t.csv}\n" + RECODE,
        "previously_suppressed: the earlier release's suppressions name the old categories",
    ),
    (SPEC + 'recode: {age: {"85-98": 85+}}\n', "'85-98' is not a category of 'age'"),
]


@pytest.mark.parametrize(("spec", "needle"), BAD_SPECS)
def test_bad_recode_lists_findings_and_writes_nothing(tmp_path, spec, needle):
    code, output, out = release(tmp_path, table_text(), spec)
    assert code == 2
    assert needle in output
    assert not out.exists()


def test_wrong_type_is_a_typed_finding():
    spec, findings = parse_spec({"dimensions": ["age"], "count": "n", "recode": {"age": 3}})
    assert spec is None and len(findings) == 1
    assert dict(findings[0].details) == {
        "key": "recode.age",
        "expected": "a mapping of category to new category",
        "given": "integer",
    }
    assert findings[0].section == "10.1"


def test_every_problem_is_reported_at_once():
    raw = {
        "dimensions": ["age"],
        "count": "n",
        "statistics": ["rate"],
        "recode": {"age": {"a": "Total", "b": [1]}, "sex": {}},
    }
    _, findings = parse_spec(raw)
    assert len(findings) == 4


# --- the merge itself ----------------------------------------------------------------------

FLAT = "dimensions: [age]\ncount: n\ndenominator: d\nrecode: {age: {a: ab, b: ab}}\n"


def test_rows_merge_in_the_first_rows_place_and_sum_exactly():
    table = long("age,n,d,src\nc,1,2.5,x\na,3,0.1,x\nb, 4 ,0.2,x\nTotal,8,2.8,x\n")
    out, spec, findings = recode_table(table, spec_of(FLAT))
    assert out is not None and not findings
    assert out.columns == {
        "age": ["c", "ab", "Total"],
        "n": ["1", "7", "8"],
        "d": ["2.5", "0.3", "2.8"],
        "src": ["x", "x", "x"],
    }
    assert build_cube(out, spec)[0] is not None


def test_codes_are_compared_without_surrounding_spaces():
    table = long("age,n,d\n a ,3,\nb,4,10\n")
    out, _, findings = recode_table(table, spec_of(FLAT))
    assert out is not None and not findings
    assert out.columns == {"age": ["ab"], "n": ["7"], "d": [""]}  # a blank part: unknown sum


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ("a,3,1\nb,x,1\n", "count-not-integer"),
        ("a,3,1\nb,,1\n", "count-missing"),
        ("a,3,1\nb,-4,1\n", "count-negative"),
        ("a,3,1\nb,4,many\n", "bad-denominator"),
        ("a,3,1\na,4,1\nb,1,1\n", "duplicate-cell"),
    ],
)
def test_values_that_cannot_be_summed_stay_apart_for_build_cube(rows, rule):
    out, spec, findings = recode_table(long("age,n,d\n" + rows), spec_of(FLAT))
    assert out is not None and not findings
    assert out.n_rows == rows.count("\n")
    _, problems = build_cube(out, spec)
    assert rule in {f.rule for f in problems}


def test_missing_columns_are_left_to_build_cube():
    table = long("age,d\na,1\n")
    out, _, findings = recode_table(table, spec_of(FLAT))
    assert out is table and not findings
