"""Suggestions from a real source: proposed, decided by a person, recorded, never re-opened."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from accord.auth import audit
from accord.auth.actor import Actor
from accord.catalog.fields import classify_field, field_classifications
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField, ClassificationSuggestion
from accord.catalog.sources import add_source
from accord.catalog.suggestions import decide, decide_by_pattern, open_suggestions, suggest
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import PermissionDenied, ValidationFailed
from tests.catalog.sample import make_sqlite_source


@pytest.fixture
def harvested(settings: Settings, people, tmp_path) -> str:
    with transaction(settings) as session:
        add_source(
            session,
            people["engineer"],
            settings.key,
            name="clients",
            location=make_sqlite_source(tmp_path / "c.sqlite"),
        )
    harvest_now(settings, people["engineer"], "clients")
    return "clients"


def labels_by_field(settings: Settings, people) -> dict[str, set[str]]:
    with transaction(settings) as session:
        found: dict[str, set[str]] = {}
        for item in open_suggestions(session, people["security"]):
            found.setdefault(item.field.name, set()).add(item.suggestion.label)
        return found


def test_suggest_finds_identifiers_and_health_data(settings, people, harvested) -> None:
    run = suggest(settings, people["security"], harvested, sample_size=20)
    assert run.created > 0 and not run.warnings
    found = labels_by_field(settings, people)
    assert "PII:ssn" in found["ssn"]
    assert "PII:name" in found["full_name"]
    assert "PII:date" in found["birth_date"]
    assert any(label.startswith("PHI") for label in found["diagnosis_code"])
    with transaction(settings) as session:  # nothing is classified by the classifier
        assert not any(
            field_classifications(session, list(session.scalars(select(CatalogField.id)))).values()
        )


def test_rejected_stays_rejected_and_accepted_classifies(settings, people, harvested) -> None:
    suggest(settings, people["security"], harvested)
    with transaction(settings) as session:
        items = {
            (i.field.name, i.suggestion.label): i.suggestion.id
            for i in open_suggestions(session, people["security"])
        }
        with pytest.raises(PermissionDenied):
            decide(session, people["steward"], [items[("ssn", "PII:ssn")]], accept=True)
        decide(session, people["security"], [items[("ssn", "PII:ssn")]], accept=False)
        decide(session, people["security"], [items[("full_name", "PII:name")]], accept=True)
        with pytest.raises(ValidationFailed):
            decide(session, people["security"], [items[("full_name", "PII:name")]], accept=True)
    rerun = suggest(settings, people["security"], harvested)
    assert rerun.kept_decided >= 1
    found = labels_by_field(settings, people)
    assert "PII:ssn" not in found.get("ssn", set())
    assert "PII:name" not in found.get("full_name", set())
    with transaction(settings) as session:
        name_id = session.scalar(select(CatalogField.id).where(CatalogField.name == "full_name"))
        assert field_classifications(session, [name_id])[name_id] == ["PII:name"]
        entries = audit.list_entries(session, Actor.system(), limit=20)
        decisions = [e for e in entries if e.action.startswith("suggestion.")]
        assert {e.action for e in decisions} == {"suggestion.accept", "suggestion.reject"}
        assert json.loads(decisions[0].after or "{}")["label"]


def test_bulk_by_pattern_records_each_field(settings, people, harvested) -> None:
    suggest(settings, people["security"], harvested)
    with transaction(settings) as session:
        decided = decide_by_pattern(session, people["security"], "*_date", accept=False)
        assert decided >= 2  # birth_date and visit_date
        rows = session.scalars(
            select(ClassificationSuggestion).where(ClassificationSuggestion.status == "rejected")
        ).all()
        assert {r.decided_by for r in rows} == {"sky"}
        with pytest.raises(ValidationFailed):
            decide_by_pattern(session, people["security"], "  ", accept=True)


def test_public_field_cannot_silently_become_pii(settings, people, harvested) -> None:
    suggest(settings, people["security"], harvested)
    with transaction(settings) as session:
        item = next(
            i for i in open_suggestions(session, people["security"]) if i.field.name == "ssn"
        )
        classify_field(session, people["security"], item.field.id, ["PUBLIC"])
        with pytest.raises(ValidationFailed):
            decide(session, people["security"], [item.suggestion.id], accept=True)


def test_unreadable_rule_file_changes_nothing(settings, people, harvested, tmp_path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("labels: [unclosed")
    with pytest.raises(ValidationFailed):
        suggest(settings, people["security"], harvested, rules=bad)
    with transaction(settings) as session:
        assert open_suggestions(session, people["security"]) == []
