"""Re-harvesting keeps what people wrote and reports what changed in the source."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.catalog.datasets import dataset_fields, list_datasets
from accord.catalog.drift import apply_harvest
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.harvest.model import Harvest, HarvestedDataset, HarvestedField
from accord.catalog.models import CatalogField, Source
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import PermissionDenied


def person_table(
    *extra: HarvestedField, birth_type: str = "DATE", comment: str = ""
) -> HarvestedDataset:
    return HarvestedDataset(
        name="public.person",
        kind="table",
        schema="public",
        comment="People enrolled",
        row_count=10,
        fields=(
            HarvestedField("person_id", 1, "INTEGER", nullable=False, primary_key=True),
            HarvestedField("birth_date", 2, birth_type, comment=comment or "Date of birth"),
            HarvestedField("ssn", 3, "VARCHAR(11)"),
            *extra,
        ),
    )


def harvest(settings: Settings, actor: Actor, source: Source, *datasets: HarvestedDataset):
    with transaction(settings) as session:
        src = session.get(Source, source.id)
        assert src is not None
        return apply_harvest(session, actor, src, Harvest("database", list(datasets)))


def fields_by_name(settings: Settings, actor: Actor) -> dict[str, CatalogField]:
    with transaction(settings) as session:
        return {f.name: f for f in session.scalars(select(CatalogField))}


def test_first_harvest_creates_catalog_without_drift(settings, people, source) -> None:
    report = harvest(settings, people["engineer"], source, person_table())
    assert report.first_harvest and not report.has_drift
    assert (report.datasets_total, report.fields_total) == (1, 3)
    found = fields_by_name(settings, people["engineer"])
    assert found["birth_date"].definition == "Date of birth"
    assert found["person_id"].primary_key and not found["person_id"].nullable
    assert not any(f.review_needed for f in found.values())


def test_reharvest_reports_added_removed_changed_and_keeps_people_work(
    settings, people, source
) -> None:
    harvest(settings, people["engineer"], source, person_table())
    found = fields_by_name(settings, people["engineer"])
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            found["ssn"].id,
            Description(definition="Social Security number as issued by SSA."),
        )
        classify_field(session, people["security"], found["ssn"].id, ["PII:ssn"])
    report = harvest(
        settings,
        people["engineer"],
        source,
        HarvestedDataset(
            name="public.person",
            kind="table",
            fields=(
                HarvestedField("person_id", 1, "BIGINT", nullable=False, primary_key=True),
                HarvestedField("ssn", 2, "VARCHAR(11)", nullable=False),
                HarvestedField("county", 3, "TEXT"),
            ),
        ),
        HarvestedDataset(
            name="public.visit", kind="table", fields=(HarvestedField("id", 1, "INT"),)
        ),
    )
    assert report.has_drift
    assert report.datasets_added == ["public.visit"]
    assert report.fields_added == ["public.person.county"]
    assert report.fields_removed == ["public.person.birth_date"]
    assert sorted(report.fields_changed) == [
        "public.person.person_id: type INTEGER → BIGINT",
        "public.person.ssn: not nullable (was nullable)",
    ]
    found = fields_by_name(settings, people["engineer"])
    assert found["ssn"].definition == "Social Security number as issued by SSA."
    assert found["ssn"].review_needed and found["ssn"].drift == "changed"
    assert found["birth_date"].removed_at is not None and found["birth_date"].drift == "removed"
    assert found["birth_date"].definition == "Date of birth"  # kept, not deleted
    with transaction(settings) as session:
        from accord.catalog.fields import field_classifications

        assert field_classifications(session, [found["ssn"].id])[found["ssn"].id] == ["PII:ssn"]


def test_source_comment_followed_unless_a_person_edited(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    harvest(settings, people["engineer"], source, person_table(comment="Birth date (UTC)"))
    assert (
        fields_by_name(settings, people["engineer"])["birth_date"].definition == "Birth date (UTC)"
    )
    found = fields_by_name(settings, people["engineer"])
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            found["birth_date"].id,
            Description(definition="The person's date of birth."),
        )
    harvest(settings, people["engineer"], source, person_table(comment="Something else"))
    field = fields_by_name(settings, people["engineer"])["birth_date"]
    assert field.definition == "The person's date of birth."
    assert field.source_comment == "Something else"


def test_removed_dataset_kept_and_flagged(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    report = harvest(settings, people["engineer"], source)
    assert report.datasets_removed == ["public.person"]
    with transaction(settings) as session:
        assert list_datasets(session, people["auditor"]) == []
        rows = list_datasets(session, people["auditor"], include_removed=True)
        assert rows[0].dataset.removed_at is not None
        assert all(
            f.removed_at for f in dataset_fields(session, people["auditor"], rows[0].dataset.id)
        )


def test_unchanged_reharvest_writes_no_field_updates(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    report = harvest(settings, people["engineer"], source, person_table())
    assert not report.has_drift and not report.first_harvest


def test_harvest_is_audited_and_permissioned(settings, people, source) -> None:
    with pytest.raises(PermissionDenied):
        harvest(settings, people["steward"], source, person_table())
    harvest(settings, people["engineer"], source, person_table())
    from accord.auth import audit

    with transaction(settings) as session:
        entry = audit.list_entries(session, Actor.system(), limit=1)[0]
    assert entry.action == "source.harvest" and json.loads(entry.after or "{}")["fields_total"] == 3


def test_declared_classifications_and_statutes_applied(settings, people, source) -> None:
    report = harvest(
        settings,
        people["engineer"],
        source,
        HarvestedDataset(
            name="Client",
            kind="api",
            fields=(
                HarvestedField(
                    "cin",
                    1,
                    "string",
                    classifications=("PII:health_plan", "BOGUS"),
                    statutes=("WIC 14100.2(a)", "not a citation"),
                ),
            ),
        ),
    )
    assert any("BOGUS" in w for w in report.warnings)
    assert any("not a citation" in w for w in report.warnings)
    from accord.catalog.statutes import rollup

    cin = fields_by_name(settings, people["engineer"])["cin"]
    with transaction(settings) as session:
        summary = rollup(session, people["auditor"], [cin.id])
    assert [g.key for g in summary.classifications] == ["PII", "PII:health_plan"]
    assert [g.key for g in summary.statutes] == ["WIC § 14100.2(a)"]


def test_bulk_inserted_timestamps_read_back_aware(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    with transaction(settings) as session:
        from accord.catalog.models import Dataset

        dataset = session.scalars(select(Dataset)).one()
        assert dataset.harvested_at is not None and dataset.harvested_at.utcoffset() is not None
        assert abs((dataset.harvested_at - source.created_at).total_seconds()) < 60


def test_unexpected_error_does_not_leave_run_running(settings, people, source, monkeypatch) -> None:
    from accord.catalog.harvest import runs as harvesting
    from accord.jobs.worker import claim_next, run_job

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(harvesting, "read_source", broken)
    with transaction(settings) as session:
        run_id = harvesting.start_harvest(session, people["engineer"], "hr").id
    job_id = claim_next(settings, "a-worker:1")
    assert job_id is not None
    with pytest.raises(ZeroDivisionError):
        run_job(settings, job_id, "a-worker:1", reraise=True)
    with transaction(settings) as session:
        run = harvesting.get_harvest_run(session, people["engineer"], run_id)
        assert run.status == "failed" and "unexpected" in run.message
        harvesting.start_harvest(session, people["engineer"], "hr")  # not blocked
