"""Field, statute, glossary, inventory and write-back commands, on real files and servers."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from accord.cli import app
from accord.config import Settings
from tests.catalog.conftest import RunSql
from tests.catalog.sample import make_sqlite_source
from tests.cli.test_cli import cli_env  # noqa: F401 - fixture
from tests.factories import make_user


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def harvested(cli_env: Settings, tmp_path) -> Settings:  # noqa: F811
    make_user(cli_env, "eli", "data_engineer", "steward")
    make_user(cli_env, "sky", "security_officer")
    run("source", "add", "clients", make_sqlite_source(tmp_path / "c.sqlite"), "--as", "eli")
    run("harvest", "clients", "--as", "eli")
    return cli_env


def test_field_commands(harvested: Settings) -> None:
    code, out = run("field", "describe", "clients/main.client", "ssn", "--definition",
                    "Social Security number of the client.", "--tag", "id", "--as", "eli")
    assert code == 0, out
    code, out = run("field", "classify", "main.client", "ssn", "PII:ssn", "--as", "sky")
    assert code == 0 and "PII:ssn" in out
    code, out = run("field", "classify", "main.client", "ssn", "PII:ssn", "--as", "eli")
    assert code == 3  # a steward does not classify
    code, out = run("field", "cite", "main.client", "ssn", "WIC 10850(a)", "--as", "eli")
    assert code == 0 and "WIC § 10850(a)" in out
    code, out = run("field", "describe", "main.client", "nope", "--definition", "x", "--as", "eli")
    assert code == 4 and "No field" in out
    code, out = run("dictionary", "main.client", "--as", "eli")
    row = next(r for r in csv.DictReader(io.StringIO(out.lstrip("\ufeff"))) if r["name"] == "ssn")
    assert "Social Security number" in row["definition"] and "WIC" in row["statutes"]


def test_statute_glossary_and_inventory(harvested: Settings, tmp_path) -> None:
    assert run("statute", "add", "HSC 123100", "--title", "Patient access", "--as", "eli")[0] == 0
    terms = tmp_path / "terms.csv"
    terms.write_text("term,acronym,definition\nClient Index Number,CIN,Medi-Cal identifier.\n")
    assert run("glossary", "import", str(terms), "--as", "eli") == (0, "Imported 1 terms.\n")
    code, out = run("glossary", "export", "--as", "eli")
    assert "Client Index Number,CIN,Medi-Cal identifier." in out
    sheet = tmp_path / "inventory.csv"
    sheet.write_text("Dataset,Business description,Owner\nQuarterly report,Trips,Program office\n")
    make_user(harvested, "cas", "data_coordinator")
    code, out = run("inventory", "import", str(sheet), "--as", "cas")
    assert code == 0 and "1 datasets created, 0 updated." in out
    target = tmp_path / "inv.xlsx"
    assert run("inventory", "export", "--out", str(target), "--as", "cas")[0] == 0
    assert target.read_bytes()[:2] == b"PK"


def test_write_back_to_postgresql(
    cli_env: Settings, pg_source: tuple[str, RunSql]  # noqa: F811
) -> None:
    url, sql = pg_source
    sql("CREATE TABLE IF NOT EXISTS member (member_id integer primary key, cin char(9))")
    make_user(cli_env, "eli", "data_engineer", "steward")
    assert run("source", "add", "members", url, "--as", "eli")[0] == 0
    assert run("harvest", "members", "--as", "eli")[0] == 0
    run("field", "describe", "members/public.member", "cin", "--definition",
        "The member's Medi-Cal CIN; it's 9 characters.", "--as", "eli")
    code, out = run("write-back", "members", "--as", "eli", stdin="n\n")
    assert code == 1 and "COMMENT ON COLUMN" in out
    code, out = run("write-back", "members", "--yes", "--as", "eli")
    assert code == 0, out
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        comment = conn.execute(text(
            "SELECT col_description('member'::regclass, 2)")).scalar()
    engine.dispose()
    assert comment == "The member's Medi-Cal CIN; it's 9 characters."
    assert "already matches" in run("write-back", "members", "--as", "eli")[1]
