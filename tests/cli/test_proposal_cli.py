"""`accord proposal`: the basket, starting, listing, showing (restricted answers only to their
readers, each reading audited), moving and comparing versions, acting as `--as USER`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accord.auth.models import AuditEntry
from accord.cli import app
from accord.config import Settings
from accord.db.engine import transaction
from accord.proposals.access import load
from tests.proposals.conftest import World, build_world
from tests.proposals.stages import (
    REVIEW_ANSWERS,
    SEND_ANSWERS,
    SIGN_ANSWERS,
    ready_to_send,
    run,
    start,
    to_review,
    to_signatures,
)


@pytest.fixture
def world(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("ACCORD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ACCORD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACCORD_SECRET_KEY", settings.key.decode())
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)
    monkeypatch.delenv("ACCORD_USER", raising=False)
    return build_world(settings, tmp_path)


def accord(*args: str, user: str) -> tuple[int, str]:
    # wide enough that an answer is never wrapped inside its table cell
    result = CliRunner().invoke(app, [*args, "--as", user], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def reads(settings: Settings, username: str) -> list[list[str]]:
    with transaction(settings, read_only=True) as session:
        return [
            json.loads(e.after or "[]")
            for e in session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "proposal.restricted_read", AuditEntry.actor == username
                )
                .order_by(AuditEntry.seq)
            )
        ]


def test_fill_the_basket_start_a_proposal_and_list_it(world: World) -> None:
    code, out = accord(
        "proposal", "basket", "add", "main.client", "ssn", "county", user="dcs_requester"
    )
    assert code == 0 and "Added 2 field(s) of main.client; the basket holds 2." in out
    code, out = accord("proposal", "basket", "list", user="dcs_requester")
    assert code == 0 and "ssn" in out and "county" in out and "full_name" not in out
    code, out = accord("proposal", "start", "--name", "Housing study", user="dcs_requester")
    assert code == 0 and "Started proposal 1 (Housing study) asking for 2 field(s)." in out
    code, out = accord("proposal", "basket", "list", user="dcs_requester")
    assert "The basket is empty" in out
    code, out = accord("proposal", "list", "--state", "draft", user="dcs_requester")
    assert code == 0 and "Housing study" in out and "recipient" in out
    code, out = accord("proposal", "list", "--side", "provider", user="cdw_auditor")
    assert code == 0 and "Housing study" in out
    code, out = accord("proposal", "list", user="xyz_coordinator")
    assert code == 0 and "No proposals." in out
    code, out = accord("proposal", "start", user="dcs_requester")
    assert code == 2 and "basket: Add fields from the catalog" in out


def test_show_prints_restricted_answers_only_to_their_readers_and_audits_each_reading(
    world: World,
) -> None:
    pid = to_signatures(world)
    secrets = (REVIEW_ANSWERS["data_management"], SIGN_ANSWERS["security_requirements"])
    code, out = accord("proposal", "show", str(pid), user="dcs_steward")
    assert code == 0, out
    assert SEND_ANSWERS["purpose"] in out and "Awaiting signatures" in out
    assert not any(s in out for s in secrets) and "No objection" not in out
    assert out.count("withheld: your role may not read it") == 3  # management, security, privacy
    assert reads(world.settings, "dcs_steward") == []

    code, out = accord("proposal", "show", str(pid), user="cdw_security_officer")
    assert code == 0 and all(s in out for s in secrets) and "withheld" not in out
    for heading in ("Business case", "Technical", "Administrative", "Fields", "Opinions"):
        assert heading in out
    assert "Reviewed by legal: no objection." in out
    assert reads(world.settings, "cdw_security_officer") == [
        [
            "data_management",
            "privacy_requirements",
            "security_requirements",
            "opinion:legal",
            "opinion:privacy",
            "opinion:security",
        ]
    ]
    code, out = accord("proposal", "show", str(pid), user="xyz_coordinator")
    assert code == 4 and f"No proposal {pid}." in out


def test_transition_moves_or_names_what_stops_it_with_its_exit_code(world: World) -> None:
    pid = ready_to_send(world)
    code, out = accord("proposal", "transition", str(pid), "send", user="dcs_requester")
    assert code == 0 and f"Proposal {pid} is now sent to provider." in out
    code, out = accord("proposal", "transition", str(pid), "send", user="dcs_requester")
    assert code == 5 and "it is sent to provider" in out
    withdraw = ("proposal", "transition", str(pid), "withdraw")
    code, out = accord(*withdraw, user="dcs_requester")  # no reason given
    assert code == 2 and "note: Give the reason" in out
    code, out = accord(*withdraw, "--note", "Not needed.", user="dcs_requester")
    assert code == 0 and "withdrawn" in out and "Your moves now: none." in out
    fresh = start(world)
    code, out = accord("proposal", "transition", str(fresh), "send", user="dcs_requester")
    assert code == 2
    for missing in ("purpose", "data_users", "authority:PII"):
        assert f"  - {missing}: " in out
    code, out = accord("proposal", "transition", str(fresh), "send", user="cdw_data_coordinator")
    assert code == 3 and "receiving" in out
    # the help no longer lists the moves (it would load the lifecycle): the refusal does
    code, out = accord("proposal", "transition", str(fresh), "launch", user="dcs_requester")
    assert code == 2 and "No move 'launch'" in out and "send, " in out and "withdraw" in out


def test_diff_compares_field_by_field_hiding_what_the_reader_may_not_read(world: World) -> None:
    pid = to_review(world)
    latest = run(world, load, world.dcs["requester"], pid).version
    code, out = accord("proposal", "diff", str(pid), "1", str(latest), user="dcs_steward")
    assert code == 0, out
    assert "Use case description and purpose" in out and SEND_ANSWERS["purpose"] in out
    assert "Data storage and management" in out
    assert "changed (restricted: your role may not read it)" in out
    assert REVIEW_ANSWERS["data_management"] not in out
    assert reads(world.settings, "dcs_steward") == []
    code, out = accord("proposal", "diff", str(pid), "1", str(latest), user="cdw_legal")
    assert code == 0 and REVIEW_ANSWERS["data_management"] in out
    assert reads(world.settings, "cdw_legal") == [["data_management"]]
    code, out = accord("proposal", "diff", str(pid), "2", "2", user="cdw_legal")
    assert code == 0 and "do not differ" in out
    code, out = accord("proposal", "diff", str(pid), "1", "999", user="cdw_legal")
    assert code == 4 and "no version 999" in out
