"""The describe workflow and suggestion decisions from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from accord.cli import app
from accord.config import Settings
from tests.catalog.sample import make_sqlite_source
from tests.cli.test_cli import cli_env  # noqa: F401 - fixture
from tests.factories import make_user


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_assign_describe_submit_review(cli_env: Settings, tmp_path) -> None:  # noqa: F811
    make_user(cli_env, "eli", "data_engineer")
    make_user(cli_env, "cas", "data_coordinator")
    make_user(cli_env, "sam", "steward")
    make_user(cli_env, "rev", "steward")
    run("source", "add", "clients", make_sqlite_source(tmp_path / "c.sqlite"), "--as", "eli")
    run("harvest", "clients", "--as", "eli")
    code, out = run("describe", "assign", "sam", "main.client", "--as", "cas")
    assert code == 0 and "Assigned 5 field(s)" in out
    run("field", "describe", "main.client", "ssn", "--definition", "The client's SSN.",
        "--as", "sam")
    assert run("describe", "submit", "main.client", "ssn", "--as", "sam")[0] == 0
    code, out = run("describe", "review", "main.client", "ssn", "--as", "sam")
    assert code == 3  # not one's own
    code, out = run("describe", "review", "main.client", "ssn", "--send-back", "--as", "rev")
    assert code == 2 and "note" in out
    code, out = run("describe", "review", "main.client", "ssn", "--send-back", "--note",
                    "Spell out SSN.", "--as", "rev")
    assert code == 0 and "draft" in out
    code, out = run("describe", "status", "main.client", "--as", "sam")
    assert "definitions 20%" in out


def test_decide_suggestions(cli_env: Settings, tmp_path) -> None:  # noqa: F811
    make_user(cli_env, "eli", "data_engineer")
    make_user(cli_env, "sky", "security_officer")
    run("source", "add", "clients", make_sqlite_source(tmp_path / "c.sqlite"), "--as", "eli")
    run("harvest", "clients", "--as", "eli")
    run("suggest", "clients", "--as", "sky")
    code, out = run("suggestions", "list", "--dataset", "main.client", "--as", "sky")
    assert code == 0 and "PII:ssn" in out
    code, out = run("suggestions", "decide-pattern", "*_date", "--reject", "--as", "sky")
    assert code == 0 and out.startswith("Rejected ")
    code, out = run("suggestions", "decide", "999999", "--as", "sky")
    assert code == 4
    code, out = run("suggestions", "decide-pattern", "ssn", "--as", "eli")
    assert code == 3
