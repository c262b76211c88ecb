"""§10.6 percent-only masking and §16 A20."""

from __future__ import annotations

from accord.deid.masking.percent import FOOTNOTE, mask_three_category


def test_ddg_intersex_example():
    t = mask_three_category({"male": 545, "female": 545, "intersex": 10})
    assert t.allowed
    assert t.shown == {"male": "50%", "female": "50%", "intersex": "<1%"}  # A20


def test_small_total_is_refused():
    t = mask_three_category({"male": 500, "female": 500, "intersex": 5})
    assert not t.allowed and t.findings[0].section == "10.6"


def test_counts_published_elsewhere_are_refused():
    t = mask_three_category({"m": 600, "f": 600, "x": 12}, counts_published_elsewhere=True)
    assert [f.rule for f in t.findings] == ["three-category-counts-elsewhere"]


def test_zero_stays_zero():
    assert mask_three_category({"m": 600, "f": 600, "x": 0}).shown["x"] == "0%"


def _percent_release(rows: list[str], extra: dict[str, object] | None = None):
    from accord.deid.model.tables import LongTable, build_cube
    from accord.deid.release import release_loaded
    from accord.deid.spec.spec import parse_spec

    header, *body = rows
    names = header.split(",")
    cols: dict[str, list[str]] = {n: [] for n in names}
    for line in body:
        for n, v in zip(names, line.split(","), strict=True):
            cols[n].append(v)
    dims = [n for n in names if n != "n"]
    raw = {"dimensions": dims, "count": "n", "score": 14, "percent_only": {"dimension": "sex"}}
    spec, problems = parse_spec(raw | (extra or {}))
    assert spec is not None, problems
    loaded, problems = build_cube(LongTable(names, cols), spec)
    assert loaded is not None, problems
    return release_loaded(loaded, spec)


def test_release_publishes_the_ddg_example_as_percentages():
    from accord.deid.io.output import render_human, render_odp

    rel = _percent_release(["sex,n", "male,545", "female,545", "intersex,10", "Total,1100"])
    assert not rel.blocked
    odp = render_odp(rel)
    assert odp.header == ["sex", "percent", "annotation"]  # no count column at all
    assert [r[1] for r in odp.rows] == ["50%", "50%", "<1%", "100%"]
    human = render_human(rel)
    assert FOOTNOTE in human.notes[0]
    assert rel.row_status.tolist() == [0, 0, 0, 0]  # the method replaces suppression


def test_release_is_refused_below_1100():
    rel = _percent_release(["sex,n", "male,545", "female,544", "intersex,10", "Total,1099"])
    assert rel.blocked
    assert [f.rule for f in rel.findings if f.severity == "error"] == ["three-category-total"]


def test_every_percentage_base_must_reach_the_minimum():
    rows = [
        "county,sex,n",
        "A,male,900",
        "A,female,900",
        "A,intersex,12",
        "B,male,300",
        "B,female,290",
        "B,intersex,3",
    ]
    rel = _percent_release(rows)
    refused = [f.cell for f in rel.findings if f.rule == "three-category-total"]
    assert refused == [{"county": "B", "sex": "Total"}]  # A (1,812) and Total (2,405) pass


def test_counts_published_elsewhere_refuse_the_release():
    rel = _percent_release(
        ["sex,n", "male,545", "female,545", "intersex,10"],
        {"percent_only": {"dimension": "sex", "counts_published_elsewhere": True}},
    )
    assert rel.blocked and rel.findings[-1].rule != "percent-only-form"
    assert any(f.rule == "three-category-counts-elsewhere" for f in rel.findings)


def test_percent_only_spec_problems():
    from accord.deid.spec.spec import parse_spec

    _, problems = parse_spec(
        {
            "dimensions": ["sex"],
            "count": "n",
            "percent_only": {"dimension": "age", "colour": "red"},
            "survey": {"sample_size": "d"},
        }
    )
    assert len(problems) == 3 and {p.section for p in problems} == {"10.6"}
