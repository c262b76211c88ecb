"""Issue 18: five rules read as DDG.md states them, and the ODP codes 3 and 5.

Each test names the DDG.md section it pins. Tables are written as CSV files and read the way
the CLI reads them, so the whole path (SPEC, table, release, output) is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.files import check_table_meta, load_release_inputs
from accord.deid.steps import assess_step1

runner = CliRunner()


def write(folder: Path, spec: str, table: str) -> tuple[Path, Path]:
    (folder / "spec.yaml").write_text(spec, encoding="utf-8")
    (folder / "table.csv").write_text(table, encoding="utf-8")
    return folder / "table.csv", folder / "spec.yaml"


# --- item 5: record-level output (DDG.md §1 rule 2) --------------------------------------------


def test_ddg_1_rule_2_record_level_step1_answers_expert_review_never_a_score(tmp_path):
    """§1 rule 2: record-level output leaves the aggregate pipeline; step 1 says so and gives
    no next step (so nothing downstream scores it), even when its variables are personal."""
    meta = {
        "record_level": True,
        "variables": [{"name": "age", "classification": "age"}],
    }
    checked, problems = check_table_meta(meta)
    assert checked is not None, problems
    result = assess_step1(checked)
    assert result.next_step is None and result.record_level
    doc = result.to_dict()
    assert doc["section"] == "1" and "case-by-case expert review" in doc["expert_review_required"]
    assert "score" not in json.dumps(doc)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    cli = runner.invoke(app, ["step1", str(tmp_path / "meta.json")])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["next_step"] is None
    # an aggregate table's answer is unchanged
    assert assess_step1({"variables": [{"name": "age", "classification": "age"}]}).next_step == 2
    assert check_table_meta({"record_level": "yes"})[0] is None


def test_ddg_1_rule_2_a_spec_declaring_record_level_is_refused_unscored(tmp_path):
    """§1 rule 2: `record_level: true` in a SPEC refuses assess and release with the reason."""
    table, spec = write(
        tmp_path,
        "dimensions: [person]\ncount: n\nscore: 5\nrecord_level: true\n",
        "person,n\na,1\nb,1\nTotal,2\n",
    )
    loaded, parsed, problems = load_release_inputs(table, spec)
    assert loaded is None and parsed is None
    assert [p.rule for p in problems] == ["record-level-output"]
    assert problems[0].section == "1"
    for command in ("assess", "release"):
        args = [command, str(table), "--spec", str(spec)]
        if command == "release":
            args += ["--out", str(tmp_path / "out")]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "record-level" in result.output
        assert '"score"' not in result.output
