"""The audit log read by people: names, words, filters, pages and a CSV safe to open."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import accord
from accord.auditlog.reading import PAGE, AuditFilter, export_csv, filter_choices, read_log
from accord.auditlog.words import WORDS, in_words
from accord.auth.users import create_user, disable_user
from accord.catalog.datasets import Inventory, register_dataset, update_inventory
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.proposals.states import PROPOSAL
from tests.factories import PASSWORD, make_user


def test_entries_name_people_and_records_and_say_the_action_in_words(
    settings: Settings,
) -> None:
    admin = make_user(settings, "ana", "admin", "data_coordinator")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        dataset = register_dataset(session, admin, name="main.screening", kind="table")
        update_inventory(session, admin, dataset.id, Inventory(title="Screenings"))
        disable_user(session, admin, "bo")
        entries = read_log(session, admin, AuditFilter(person="ana")).entries
    by_action = {e.action: e for e in entries}
    disabled = by_action["user.disable"]
    assert (disabled.person_name, disabled.words) == ("Ana", "disabled a user")
    assert disabled.object.name == "Bo (bo)" and "object_type=user" in disabled.object.href
    inventory = by_action["dataset.inventory"]
    assert inventory.object.name == "Screenings"
    assert inventory.object.href == f"/catalog/datasets/{dataset.id}"
    assert all(e.person == "ana" for e in entries)


def _written_actions() -> set[str]:
    """The action names the services pass to ``audit.record``, read from their source."""
    found = set()
    for path in Path(accord.__file__).parent.rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"audit\.record\(", text):
            literal = re.search(r'(f?)"([a-z_]+\.[a-z_]+)"', text[call.end() : call.end() + 300])
            if literal and not literal.group(1):
                found.add(literal.group(2))
    return found


def test_every_action_the_services_write_reads_as_words() -> None:
    written = _written_actions() | {f"proposal.{t.verb}" for t in PROPOSAL.transitions}
    assert len(written) > 40
    assert sorted(written - WORDS.keys()) == []
    assert in_words("proposal.some_new_step") == "some new step (proposal)"


def test_filters_by_action_object_and_day(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    bo = make_user(settings, "bo", "requester")
    make_user(settings, "cy", "requester")
    with transaction(settings) as session:
        disable_user(session, admin, "bo")
        disable_user(session, admin, "cy")
        only = read_log(
            session, admin, AuditFilter(action="user.disable", object_id=str(bo.user_id))
        ).entries
        assert [(e.action, e.object_id) for e in only] == [("user.disable", str(bo.user_id))]
        today = utcnow().date()
        assert len(read_log(session, admin, AuditFilter(since=today, until=today)).entries) >= 5
        assert read_log(session, admin, AuditFilter(until=today - timedelta(days=1))).entries == []
        assert read_log(session, admin, AuditFilter(since=today + timedelta(days=1))).entries == []
        choices = filter_choices(session, admin)
    assert ("bo", "Bo") in choices.people and ("user.disable", "disabled a user") in choices.actions
    assert "user" in choices.object_types


def test_pages_hold_a_page_each_and_end(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    with transaction(settings) as session:
        for i in range(PAGE + 5):
            create_user(
                session,
                admin,
                username=f"user{i:02}",
                full_name=f"User {i}",
                password=PASSWORD,
                department_code="CDW",
                roles=["requester"],
            )
        f = AuditFilter(action="user.create", person="ana")
        first = read_log(session, admin, f)
        assert len(first.entries) == PAGE and first.older is not None
        second = read_log(session, admin, f, before=first.older)
    assert len(second.entries) == 5 and second.older is None
    assert {e.seq for e in first.entries}.isdisjoint(e.seq for e in second.entries)


def test_csv_export_is_filtered_and_safe_to_open_in_a_spreadsheet(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    with transaction(settings) as session:
        create_user(
            session,
            admin,
            username="mallory",
            full_name='=HYPERLINK("http://evil.example","click")',
            password=PASSWORD,
            department_code="CDW",
            roles=["requester"],
        )
        text = export_csv(session, admin, AuditFilter(action="user.create", person="ana"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["in_words"] for r in rows] == ["created a user"]
    assert rows[0]["object"].startswith("'=HYPERLINK")  # shown as text, never run
    assert rows[0]["person_name"] == "Ana"
