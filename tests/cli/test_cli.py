from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from accord.cli import app
from accord.config import Settings
from accord.db.engine import get_engine
from tests.factories import tamper_with_audit_log


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_SECRET_KEY", settings.key.decode())
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)
    monkeypatch.delenv("ACCORD_USER", raising=False)
    return settings


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_bootstrap_then_everything_needs_an_identity(cli_env: Settings) -> None:
    code, out = run(
        "user",
        "create",
        "root",
        "--name",
        "Root",
        "--department",
        "CDW",
        "--role",
        "admin",
        "--password",
        "long-enough-pw",
    )
    assert code == 0, out
    code, out = run("user", "list")
    assert code == 3 and "--as" in out
    code, out = run(
        "user",
        "create",
        "sam",
        "--name",
        "Sam",
        "--department",
        "CDW",
        "--role",
        "steward",
        "--password",
        "long-enough-pw",
        "--as",
        "root",
    )
    assert code == 0, out
    code, out = run("user", "list", "--as", "sam")
    assert code == 3 and "not allow" in out
    code, out = run("user", "list", "--as", "root")
    assert code == 0 and "steward" in out


def test_token_create_use_and_revoke(cli_env: Settings) -> None:
    run(
        "user",
        "create",
        "root",
        "--name",
        "Root",
        "--department",
        "CDW",
        "--role",
        "admin",
        "--role",
        "auditor",
        "--password",
        "long-enough-pw",
    )
    code, out = run("token", "create", "--name", "ci", "--as", "root")
    secret = out.strip().splitlines()[-1]
    assert code == 0 and secret.startswith("acc_")
    code, out = run("audit", "verify", env={"ACCORD_TOKEN": secret})
    assert code == 0 and "intact" in out
    code, out = run("token", "revoke", "1", "--as", "root")
    assert code == 0
    code, out = run("audit", "verify", env={"ACCORD_TOKEN": secret})
    assert code == 3 and "revoked" in out


def test_invalid_input_lists_problems_exit_2(cli_env: Settings) -> None:
    code, out = run(
        "user",
        "create",
        "Bad Name",
        "--name",
        "X",
        "--department",
        "CDW",
        "--role",
        "wizard",
        "--password",
        "short",
    )
    assert code == 2 and "roles" in out and "password" in out


def test_audit_verify_reports_break(cli_env: Settings) -> None:

    run(
        "user",
        "create",
        "root",
        "--name",
        "Root",
        "--department",
        "CDW",
        "--role",
        "admin",
        "--password",
        "long-enough-pw",
    )
    tamper_with_audit_log(cli_env, "UPDATE audit_entry SET actor = 'x' WHERE seq = 1")
    code, out = run("audit", "verify", "--as", "root")
    assert code == 1 and "broken at entry 1" in out


def test_audit_verify_reports_a_rewound_tail_and_a_missing_head_file(cli_env: Settings) -> None:
    run("user", "create", "root", "--name", "Root", "--department", "CDW", "--role", "admin",
        "--password", "long-enough-pw")  # fmt: skip
    code, out = run("audit", "verify", "--as", "root")
    out = " ".join(out.split())  # as Rich wrapped it
    assert code == 0 and "2 entries verified; the head file anchors it up to entry 2" in out, out
    cli_env.audit_head_file.unlink()
    code, out = run("audit", "verify", "--as", "root")
    assert code == 0 and "Warning:" in out and "was missing" in " ".join(out.split()), out
    tamper_with_audit_log(cli_env, "DELETE FROM audit_entry WHERE seq = 2")
    get_engine(cli_env.resolved_database_url).dispose()
    with get_engine(cli_env.resolved_database_url).begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_entry)"))
    code, out = run("audit", "verify", "--as", "root")
    out = " ".join(out.split())
    assert code == 1 and "broken at entry 2" in out and "cut from the end" in out, out


def test_db_upgrade_is_idempotent(cli_env: Settings) -> None:
    assert run("db", "upgrade") == (0, "Database is up to date.\n")


def test_an_administrator_unlocks_a_user_from_the_command_line(cli_env: Settings) -> None:
    from accord.auth.models import AuditEntry, LoginFailure
    from accord.db.engine import transaction
    from tests.factories import make_user

    make_user(cli_env, "root", "admin")
    make_user(cli_env, "ana", "steward")
    with transaction(cli_env) as session:
        session.add_all(LoginFailure(username="ana", client="1.2.3.4") for _ in range(5))
    assert run("user", "unlock", "ana", "--as", "ana")[0] == 3  # not an administrator
    code, out = run("user", "unlock", "ana", "--as", "root")
    assert code == 0 and "Unlocked ana (5 failed sign-in(s) forgotten)." in out
    with transaction(cli_env) as session:
        assert session.query(LoginFailure).count() == 0
        last = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert last is not None and (last.action, last.actor) == ("user.unlock", "root")


def test_a_database_behind_the_migrations_asks_for_an_upgrade(cli_env: Settings) -> None:
    engine = get_engine(cli_env.resolved_database_url)
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        code, out = run("user", "list")
    finally:  # the PostgreSQL test database is shared by the next tests
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert code == 2 and "run `accord db upgrade`" in " ".join(out.split()), out
    assert run("user", "list")[0] == 0
