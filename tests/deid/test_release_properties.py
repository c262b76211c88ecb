"""Release-level properties: output forms agree with the suppression pattern."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.deid.io.files import load_release_inputs
from accord.deid.io.output import render_odp
from accord.deid.masking.aggregation import PROPOSAL
from accord.deid.model.tables import LongTable, build_cube
from accord.deid.release import Release, release_loaded
from accord.deid.spec.spec import parse_spec
from tests.deid.test_suppression_properties import tables


@st.composite
def long_tables(draw: st.DrawFn) -> LongTable:
    rows_n = draw(st.integers(2, 4))
    cols_n = draw(st.integers(2, 4))
    value = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 90))
    cols: dict[str, list[str]] = {"r": [], "c": [], "n": [], "pct": []}
    for i in range(rows_n):
        for j in range(cols_n):
            n = draw(value)
            cols["r"].append(f"r{i}")
            cols["c"].append(f"c{j}")
            cols["n"].append(str(n))
            cols["pct"].append(f"{n / 10:.1f}")
    return LongTable(["r", "c", "n", "pct"], cols)


SPEC, _ = parse_spec(
    {"dimensions": ["r", "c"], "count": "n", "statistics": ["pct"], "score": 15}
)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(long_tables())
def test_published_table_hides_small_values_and_their_statistics(table):
    assert SPEC is not None
    loaded, problems = build_cube(table, SPEC)
    assert loaded is not None, problems
    release = release_loaded(loaded, SPEC, audit_intervals=False)
    if release.blocked:
        return
    odp = render_odp(release)
    idx = {name: i for i, name in enumerate(odp.header)}
    for original_n, row in zip(table.columns["n"], odp.rows, strict=True):
        n = int(original_n)
        shown = row[idx["n"]]
        if shown == "":
            assert n > 0  # zeros are never suppressed
            assert row[idx["pct"]] == ""  # derived statistic withheld with its count
            assert row[idx["annotation"]] in ("1", "2")
        else:
            assert int(shown) == n
            assert n == 0 or n >= 11
            assert row[idx["annotation"]] == ""


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables())
def test_every_proposal_said_to_pass_releases_through_its_spec_lines(tmp_path_factory, table):
    """A refused table's proposals (merged categories, a dimension left out, or the table split
    into linked tables), applied as the SPEC lines they print, release through the same path a
    user's SPEC takes: the proposal's promise is kept, not just its cube's."""
    leaves, dims, hier = table
    folder = tmp_path_factory.mktemp("proposal")
    rows = [",".join([*dims, "n"])] + [",".join([*key, str(v)]) for key, v in leaves.items()]
    (folder / "t.csv").write_text("\n".join(rows) + "\n")
    base = {"dimensions": dims, "count": "n", "score": 14}
    if hier:
        (folder / "h.csv").write_text(
            "child,parent\n" + "".join(f"{c},{p}\n" for c, p in hier["d0"].items())
        )
        base["hierarchies"] = {"d0": {"file": "h.csv", "child": "child", "parent": "parent"}}
    rel = _release(folder, base)
    if not rel.blocked:
        return
    for finding in rel.refusal:
        if finding.rule != PROPOSAL or not finding.details["passes"]:
            continue
        details = finding.details
        lines = {k: details[k] for k in ("publish", "drop", "recode") if k in details}
        again = _release(folder, {**base, **lines})
        assert not again.blocked, (lines, [f.message for f in again.findings][:5])


def _release(folder, spec: dict) -> Release:
    (folder / "s.yaml").write_text(yaml.safe_dump(spec))
    loaded, tspec, findings = load_release_inputs(folder / "t.csv", folder / "s.yaml")
    assert loaded is not None and tspec is not None, findings
    return release_loaded(loaded, tspec)
