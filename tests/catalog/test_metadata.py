"""Sources, field descriptions, classifications, statutes, glossary and inventory services."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import make_url

from accord.catalog.datasets import Inventory, register_dataset, retention_due, update_inventory
from accord.catalog.fields import Description, classify_field, describe_field, parse_valid_values
from accord.catalog.glossary import export_csv, import_csv, list_terms, save_term
from accord.catalog.inventory_io import export_csv as export_inventory
from accord.catalog.inventory_io import export_xlsx, import_inventory, read_sheet, suggest_mapping
from accord.catalog.models import Source
from accord.catalog.sources import (
    HIDDEN,
    add_source,
    connection_details,
    connection_url,
    source_facts,
)
from accord.catalog.statutes import parse_citation, rollup, set_field_statutes
from accord.db.engine import transaction
from accord.errors import Conflict, PermissionDenied, ValidationFailed
from tests.catalog.test_drift import fields_by_name, harvest, person_table


def test_password_encrypted_never_stored_in_clear(settings, people, source) -> None:
    with transaction(settings) as session:
        stored = session.get(Source, source.id)
        assert stored is not None
        assert "s3cret" not in stored.location and "s3cret" not in stored.secret_encrypted
        assert connection_url(stored, settings.key).startswith(
            "postgresql+psycopg://reader:s3cret@"
        )
        with pytest.raises(Exception, match="decrypted"):
            connection_url(stored, b"another-key")


def test_source_problems_listed_together(settings, people) -> None:
    with transaction(settings) as session, pytest.raises(ValidationFailed) as caught:
        add_source(
            session,
            people["engineer"],
            settings.key,
            name="Bad Name",
            location="not a url",
            kind="database",
            password_env="lower",
        )
    assert {p.field for p in caught.value.problems} == {"name", "location", "password_env"}
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        add_source(session, people["steward"], settings.key, name="x", location="sqlite:///x.db")


def test_where_a_source_lives_is_shown_only_to_engineers_and_administrators(
    settings, people, source
) -> None:
    with transaction(settings) as session:
        stored = session.get(Source, source.id)
        seen = source_facts(people["engineer"], stored)
        hidden = source_facts(people["steward"], stored)
        with pytest.raises(PermissionDenied):
            connection_details(session, people["auditor"], "hr")
    assert seen["location"] == "postgresql+psycopg://reader@db.example/hr"
    assert hidden == {"name": "hr", "kind": "database", "location": HIDDEN, "password": HIDDEN}


def test_accords_own_database_cannot_be_a_source(settings, people) -> None:
    own = make_url(settings.resolved_database_url)
    spellings = [own]
    if own.get_backend_name() == "postgresql":  # the same server, written another way
        spellings.append(own.set(host="localhost", port=5432))
    for url in spellings:
        location = url.render_as_string(hide_password=False)
        with transaction(settings) as session, pytest.raises(ValidationFailed) as refused:
            add_source(session, people["engineer"], settings.key, name="me", location=location)
        assert "Accord's own database" in refused.value.problems[0].message
    if own.get_backend_name() == "postgresql":  # another database on that server is a source
        other = own.set(database="elsewhere").render_as_string(hide_password=False)
        with transaction(settings) as session:
            add_source(session, people["engineer"], settings.key, name="other", location=other)


def test_duplicate_source(settings, people, source) -> None:
    with transaction(settings) as session, pytest.raises(Conflict):
        add_source(session, people["engineer"], settings.key, name="hr", location="sqlite:///x.db")


def test_roles_guard_each_kind_of_metadata(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    ssn = fields_by_name(settings, people["engineer"])["ssn"].id
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        classify_field(session, people["steward"], ssn, ["PII:ssn"])
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        describe_field(session, people["security"], ssn, Description(definition="x"))
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        classify_field(session, people["security"], ssn, ["PII:nope"])
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        classify_field(session, people["security"], ssn, ["PUBLIC", "PII"])


def test_valid_values_and_tags(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    ssn = fields_by_name(settings, people["engineer"])["ssn"].id
    values = parse_valid_values("Y = yes\nN: no\n\nU")
    assert values == [("Y", "yes"), ("N", "no"), ("U", "")]
    with transaction(settings) as session:
        f = describe_field(
            session,
            people["steward"],
            ssn,
            Description(valid_values=values, tags=["id", " id", "hr"]),
        )
        assert f.tags == "id, hr"
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        describe_field(
            session, people["steward"], ssn, Description(valid_values=[("Y", ""), ("Y", "")])
        )


def test_citations_parse() -> None:
    c = parse_citation("WIC § 10850(a)(1)")
    assert (c.code, c.section, c.subdivision, c.paragraph) == ("WIC", "10850", "a", "1")
    c = parse_citation("45 CFR 164.514(b)(2)")
    assert (c.code, c.section, c.subdivision, c.paragraph) == ("45 CFR", "164.514", "b", "2")
    with pytest.raises(ValidationFailed):
        parse_citation("see the lawyer")


def test_statute_rollup_groups_fields(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    found = fields_by_name(settings, people["engineer"])
    with transaction(settings) as session:
        classify_field(session, people["security"], found["ssn"].id, ["PII:ssn"])
        classify_field(session, people["security"], found["birth_date"].id, ["PII:date", "PHI"])
        set_field_statutes(
            session, people["steward"], found["ssn"].id, ["WIC 10850(a)", "HSC 123100"]
        )
        set_field_statutes(session, people["steward"], found["birth_date"].id, ["WIC 10850(a)"])
        with pytest.raises(ValidationFailed):
            set_field_statutes(session, people["steward"], found["ssn"].id, ["WIC 1", "nonsense"])
        summary = rollup(session, people["auditor"], [f.id for f in found.values()])
    pii = next(g for g in summary.classifications if g.key == "PII")
    assert pii.fields == ["public.person.birth_date", "public.person.ssn"]
    wic = next(g for g in summary.statutes if g.key == "WIC § 10850(a)")
    assert wic.fields == ["public.person.birth_date", "public.person.ssn"]
    assert [g.key for g in summary.statutes] == ["HSC § 123100", "WIC § 10850(a)"]
    assert summary.unclassified == ["public.person.person_id"]


def test_glossary_csv_round_trip_and_all_or_nothing(settings, people) -> None:
    data = b"term,acronym,definition\nMedi-Cal,MC,California Medicaid.\nCIN,,Client index number.\n"
    with transaction(settings) as session:
        assert import_csv(session, people["steward"], data) == 2
    bad = b"term,acronym,definition\nGood,,Fine.\n,,\n"
    with transaction(settings) as session, pytest.raises(ValidationFailed) as caught:
        import_csv(session, people["steward"], bad)
    assert caught.value.problems[0].field == "row 3"
    with transaction(settings) as session:
        assert [t.term for t in list_terms(session, people["auditor"])] == ["CIN", "Medi-Cal"]
        assert export_csv(session, people["auditor"]).splitlines()[1] == "CIN,,Client index number."


def test_exports_carry_formulas_as_text_and_import_back_unchanged(settings, people) -> None:
    """A term or dataset named like a formula is exported so no spreadsheet runs it, and the
    exported file imports back to the same values."""
    attack = "=HYPERLINK(\"http://evil.example\",\"x\")"
    with transaction(settings) as session:
        save_term(session, people["steward"], term="+cmd|' /C calc'!A0", definition=attack)
        register_dataset(session, people["coordinator"], name="@SUM(1)", kind="report",
                         change=Inventory(description=attack))
    with transaction(settings) as session:
        exported = export_csv(session, people["auditor"])
        book = load_workbook(io.BytesIO(export_xlsx(session, people["auditor"])))
    assert exported.splitlines()[1].startswith("'+cmd|' /C calc'!A0,,\"'=HYPERLINK(")
    cells = [c for row in book.active.iter_rows() for c in row if c.value]
    assert all(c.data_type == "s" for c in cells) and attack in [c.value for c in cells]
    with transaction(settings) as session:
        for term in list_terms(session, people["steward"]):
            session.delete(term)
    with transaction(settings) as session:
        assert import_csv(session, people["steward"], exported.encode()) == 1
        (term,) = list_terms(session, people["auditor"])
        assert (term.term, term.definition) == ("+cmd|' /C calc'!A0", attack)
    with transaction(settings) as session:
        inventory = export_inventory(session, people["auditor"])
    assert b"'@SUM(1)" in inventory
    named = next(row for row in read_sheet(inventory, "inventory.csv").rows if "@SUM(1)" in row)
    assert attack in named

def test_inventory_import_with_mapping_and_export(settings, people) -> None:
    sheet = read_sheet(
        b"Dataset,Business description,Program,Retention,Vendor\n"
        b"Monthly W2W report,Trips per county,Walk 2 Work,36,yes\n",
        "inv.csv",
    )
    mapping = suggest_mapping(sheet.headers)
    assert mapping == {
        "name": "Dataset",
        "description": "Business description",
        "program": "Program",
        "vendor_managed": "Vendor",
        "retention_months": "Retention",
    }
    with transaction(settings) as session:
        assert import_inventory(session, people["coordinator"], sheet, mapping) == (1, 0)
        assert import_inventory(session, people["coordinator"], sheet, mapping) == (0, 1)
    bad = read_sheet(b"Dataset,Retention\nA,soon\n,12\n", "bad.csv")
    with transaction(settings) as session, pytest.raises(ValidationFailed) as caught:
        import_inventory(
            session,
            people["coordinator"],
            bad,
            {"name": "Dataset", "retention_months": "Retention"},
        )
    assert [p.field for p in caught.value.problems] == ["row 2", "row 3"]
    with transaction(settings) as session:
        book = load_workbook(io.BytesIO(export_xlsx(session, people["auditor"])))
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[1][0] == "Monthly W2W report" and "yes" in rows[1]


def test_retention_due(settings, people) -> None:
    with transaction(settings) as session:
        d = register_dataset(
            session,
            people["coordinator"],
            name="Old extract",
            kind="extract",
            change=Inventory(retention_months=12, lifecycle_since=date(2025, 1, 31)),
        )
        register_dataset(
            session,
            people["coordinator"],
            name="New",
            kind="report",
            change=Inventory(retention_months=120, lifecycle_since=date(2025, 1, 1)),
        )
        due = retention_due(session, people["auditor"], date(2025, 12, 15))
        assert [(x.dataset.name, x.due_on) for x in due] == [("Old extract", date(2026, 1, 31))]
        update_inventory(session, people["coordinator"], d.id, Inventory(lifecycle="disposed"))
        assert retention_due(session, people["auditor"], date(2025, 12, 15)) == []
        with pytest.raises(ValidationFailed):
            update_inventory(session, people["coordinator"], d.id, Inventory(lifecycle="gone"))
