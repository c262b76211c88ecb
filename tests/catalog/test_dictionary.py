"""Data dictionaries: the snapshot and each export format (CSV, Excel, Table Schema, JSON)."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import frictionless
import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from accord.auth.actor import Actor
from accord.catalog.dictionary import (
    FORMATS,
    Dictionary,
    build_dictionary,
    to_csv,
    to_json,
    to_table_schema,
    to_xlsx,
)
from accord.catalog.fields import classify_field
from accord.catalog.glossary import link_term, save_term
from accord.catalog.models import CatalogField, Dataset, Source
from accord.catalog.statutes import add_statute, set_field_statutes
from accord.catalog.table_schema_types import table_schema_type
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import get_engine, transaction
from accord.errors import NotFound

VALID_COUNTIES = json.dumps([{"code": "01", "meaning": "Alameda"},
                             {"code": "19", "meaning": "Los Angeles"}])
VALID_STATUSES = json.dumps([{"code": "1", "meaning": "Active"},
                             {"code": "2", "meaning": "Closed"}])
VALID_RISKS = json.dumps([{"code": "1", "meaning": "Low"}, {"code": "U", "meaning": "Unknown"}])

# name: (position, data type, nullable, other attributes); positions deliberately not in
# insertion order, so the dictionary's order must come from `position`.
CLIENT_FIELDS: dict[str, tuple[int, str, bool, dict[str, Any]]] = {
    "full_name": (2, "character varying(80)", False,
                  {"label": "Full name", "definition": "Given and family name."}),
    "client_id": (1, "integer", False,
                  {"label": "Client ID", "definition": "Client Index Number.",
                   "primary_key": True, "standard_element": "USCDI Patient Identifier"}),
    "birth_date": (3, "date", True, {"definition": "Date of birth."}),
    "county_code": (4, "char(2)", False, {"valid_values": VALID_COUNTIES,
                                          "tags": "geography, county"}),
    "status_code": (5, "smallint", True, {"valid_values": VALID_STATUSES}),
    "risk_level": (6, "integer", True, {"valid_values": VALID_RISKS}),
    "enrolled": (7, "boolean", True, {}),
    "program_id": (8, "integer", True, {"foreign_key": "public.programs.program_id"}),
    "manager_id": (9, "integer", True, {"foreign_key": "public.clients.client_id"}),
    "balance": (10, "numeric(10,2)", True, {"definition": "Amount\x0b owed."}),
    "notes": (11, "text", True, {"definition": '=HYPERLINK("http://evil.example","x")'}),
    "profile": (12, "jsonb", True, {}),
    "created_at": (13, "timestamp with time zone", False, {}),
}


@pytest.fixture
def clients(settings: Settings, people: dict[str, Actor]) -> int:
    """A dataset with typed fields, one removed field, and every kind of metadata attached."""
    with transaction(settings) as session:
        source = Source(name="dhcs", kind="database", location="postgresql://db.example/dhcs")
        session.add(source)
        session.flush()
        dataset = Dataset(
            source_id=source.id, name="public.clients", kind="table", title="Clients",
            description="People enrolled in a program.", program="Medi-Cal",
            system="MEDS", owner="Enrollment Branch", contacts="pat@example.gov",
            row_count=1200, lifecycle="active",
        )
        session.add(dataset)
        session.flush()
        for name, (position, data_type, nullable, extra) in CLIENT_FIELDS.items():
            session.add(CatalogField(dataset_id=dataset.id, name=name, position=position,
                                     data_type=data_type, nullable=nullable, **extra))
        session.add(CatalogField(dataset_id=dataset.id, name="legacy_code", position=14,
                                 data_type="text", removed_at=utcnow(), drift="removed"))
        session.flush()
        dataset_id = dataset.id
        ids = {f.name: f.id for f in session.query(CatalogField).filter_by(dataset_id=dataset_id)}

    with transaction(settings) as session:
        security = people["security"]
        classify_field(session, security, ids["client_id"], ["PII:other_id"])
        classify_field(session, security, ids["full_name"], ["PII", "PII:name"])
        classify_field(session, security, ids["birth_date"], ["PII:date"])
        classify_field(session, security, ids["legacy_code"], ["PII"])
    with transaction(settings) as session:
        steward = people["steward"]
        add_statute(session, steward, "WIC 10850(a)", title="Confidentiality of applicant records",
                    url="https://leginfo.legislature.ca.gov/wic10850")
        set_field_statutes(session, steward, ids["full_name"], ["WIC 10850(a)"])
        set_field_statutes(session, steward, ids["birth_date"],
                           ["WIC 10850(a)", "45 CFR 164.514(b)(2)"])
        cin = save_term(session, steward, term="Client Index Number", acronym="CIN",
                        definition="The identifier Medi-Cal gives a person.")
        county = save_term(session, steward, term="county", definition="One of 58 counties.")
        unused = save_term(session, steward, term="Unused", definition="Linked to nothing.")
        link_term(session, steward, ids["client_id"], cin.id)
        link_term(session, steward, ids["county_code"], county.id)
        link_term(session, steward, ids["full_name"], county.id)
        link_term(session, steward, ids["full_name"], cin.id)
        link_term(session, steward, ids["legacy_code"], unused.id)
    return dataset_id


def _build(settings: Settings, actor: Actor, dataset_id: int) -> Dictionary:
    with transaction(settings) as session:
        return build_dictionary(session, actor, dataset_id)


@pytest.fixture
def dictionary(settings: Settings, people: dict[str, Actor], clients: int) -> Dictionary:
    return _build(settings, people["auditor"], clients)


# --- the snapshot ------------------------------------------------------------------------------

def test_snapshot_lists_current_fields_in_position_order(dictionary: Dictionary) -> None:
    assert [f.name for f in dictionary.fields] == sorted(
        CLIENT_FIELDS, key=lambda name: CLIENT_FIELDS[name][0])
    assert "legacy_code" not in {f.name for f in dictionary.fields}
    ds = dictionary.dataset
    assert (ds.name, ds.title, ds.source, ds.kind, ds.row_count, ds.lifecycle, ds.program) == (
        "public.clients", "Clients", "dhcs", "table", 1200, "active", "Medi-Cal")


def test_snapshot_carries_every_kind_of_metadata(dictionary: Dictionary) -> None:
    by_name = {f.name: f for f in dictionary.fields}
    client_id, full_name, birth_date = by_name["client_id"], by_name["full_name"], \
        by_name["birth_date"]
    assert client_id.classifications == ("PII:other_id",)
    assert client_id.primary_key and not client_id.nullable
    assert client_id.standard_element == "USCDI Patient Identifier"
    assert full_name.classifications == ("PII", "PII:name")
    assert [(s.citation, s.title, s.url) for s in full_name.statutes] == [
        ("WIC § 10850(a)", "Confidentiality of applicant records",
         "https://leginfo.legislature.ca.gov/wic10850")]
    assert [s.citation for s in birth_date.statutes] == ["45 CFR § 164.514(b)(2)",
                                                         "WIC § 10850(a)"]
    assert [t.term for t in full_name.terms] == ["Client Index Number", "county"]
    assert full_name.terms[0].acronym == "CIN"
    county = by_name["county_code"]
    assert [(v.code, v.meaning) for v in county.valid_values] == [
        ("01", "Alameda"), ("19", "Los Angeles")]
    assert county.tags == ("geography", "county")
    assert by_name["enrolled"].classifications == () and by_name["enrolled"].statutes == ()


def test_glossary_has_only_terms_of_current_fields(dictionary: Dictionary) -> None:
    assert [(g.term, g.acronym, g.fields) for g in dictionary.glossary] == [
        ("Client Index Number", "CIN", ("client_id", "full_name")),
        ("county", "", ("full_name", "county_code")),
    ]


@contextmanager
def _count_statements(settings: Settings) -> Iterator[list[str]]:
    engine = get_engine(settings.resolved_database_url)
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (conn, cursor, statement, ...)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_query_count_does_not_grow_with_fields(settings, people, clients) -> None:
    with transaction(settings) as session:
        small = Dataset(name="tiny", kind="extract")
        session.add(small)
        session.flush()
        session.add(CatalogField(dataset_id=small.id, name="only", data_type="text"))
        small_id = small.id
    with _count_statements(settings) as one_field:
        _build(settings, people["auditor"], small_id)
    with _count_statements(settings) as many_fields:
        _build(settings, people["auditor"], clients)
    def selects(statements: list[str]) -> int:
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    # dataset, fields, then classifications, statutes and terms each in one bulk query
    assert selects(one_field) == selects(many_fields) == 5


def test_dataset_without_source_or_fields(settings, people) -> None:
    with transaction(settings) as session:
        empty = Dataset(name="empty", kind="report")
        session.add(empty)
        session.flush()
        empty_id = empty.id
    d = _build(settings, people["auditor"], empty_id)
    assert (d.dataset.source, d.fields, d.glossary) == ("", (), ())
    assert to_csv(d).splitlines() == [to_csv(d).splitlines()[0]]
    assert frictionless.validate(to_table_schema(d), type="schema").valid
    assert load_workbook(io.BytesIO(to_xlsx(d))).sheetnames == ["Fields", "Glossary", "Dataset"]


def test_unknown_dataset_is_not_found(settings, people) -> None:
    with transaction(settings) as session, pytest.raises(NotFound):
        build_dictionary(session, people["auditor"], 987654)


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_one_row_per_field(dictionary: Dictionary) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(dictionary))))
    assert list(rows[0]) == [
        "dataset", "name", "label", "data_type", "nullable", "primary_key", "foreign_key",
        "definition", "valid_values", "classifications", "statutes", "standard_element", "tags",
        "glossary_terms",
    ]
    assert len(rows) == len(CLIENT_FIELDS)
    by_name = {r["name"]: r for r in rows}
    assert by_name["full_name"] == {
        "dataset": "public.clients", "name": "full_name", "label": "Full name",
        "data_type": "character varying(80)", "nullable": "no", "primary_key": "no",
        "foreign_key": "", "definition": "Given and family name.", "valid_values": "",
        "classifications": "PII; PII:name", "statutes": "WIC § 10850(a)",
        "standard_element": "", "tags": "", "glossary_terms": "Client Index Number; county",
    }
    assert by_name["county_code"]["valid_values"] == "01 = Alameda; 19 = Los Angeles"
    assert by_name["county_code"]["tags"] == "geography; county"
    assert by_name["birth_date"]["statutes"] == "45 CFR § 164.514(b)(2); WIC § 10850(a)"
    assert by_name["program_id"]["foreign_key"] == "public.programs.program_id"


# --- Excel ---------------------------------------------------------------------------------------

def test_xlsx_has_fields_glossary_and_dataset_sheets(dictionary: Dictionary) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(dictionary)))
    assert book.sheetnames == ["Fields", "Glossary", "Dataset"]

    fields = book["Fields"]
    header = [c.value for c in fields[1]]
    assert header[:4] == ["Field", "Label", "Data type", "Nullable"]
    assert all(c.font.bold for c in fields[1])
    assert fields.freeze_panes == "A2"
    assert fields.max_row == 1 + len(CLIENT_FIELDS)
    second = dict(zip(header, (c.value for c in fields[3]), strict=True))
    assert second["Field"] == "full_name"
    assert second["Classifications"] == "PII; PII:name"
    assert second["Glossary terms"] == "Client Index Number; county"
    definition = fields.cell(row=1, column=header.index("Definition") + 1).column_letter
    assert fields.column_dimensions[definition].width > fields.column_dimensions["D"].width

    glossary = book["Glossary"]
    assert [[c.value for c in row] for row in glossary.iter_rows()] == [
        ["Term", "Acronym", "Definition", "Fields"],
        ["Client Index Number", "CIN", "The identifier Medi-Cal gives a person.",
         "client_id; full_name"],
        ["county", None, "One of 58 counties.", "full_name; county_code"],
    ]
    dataset = {row[0].value: row[1].value for row in book["Dataset"].iter_rows(min_row=2)}
    assert dataset["Name"] == "public.clients"
    assert dataset["Owner"] == "Enrollment Branch"
    assert dataset["Row count"] == "1200"


def test_csv_text_never_becomes_a_formula(dictionary: Dictionary) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(dictionary))))
    notes = next(r for r in rows if r["name"] == "notes")
    assert notes["definition"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"


def test_xlsx_text_never_becomes_a_formula(dictionary: Dictionary) -> None:
    fields = load_workbook(io.BytesIO(to_xlsx(dictionary)))["Fields"]
    header = [c.value for c in fields[1]]
    notes = next(row for row in fields.iter_rows(min_row=2) if row[0].value == "notes")
    cell = notes[header.index("Definition")]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","x")'
    # a control character from a column comment would make openpyxl refuse the whole file
    balance = next(row for row in fields.iter_rows(min_row=2) if row[0].value == "balance")
    assert balance[header.index("Definition")].value == "Amount owed."


# --- Table Schema --------------------------------------------------------------------------------

def _schema_errors(descriptor: dict[str, Any]) -> list[str]:
    report = frictionless.validate(descriptor, type="schema")
    return [note for _, note in report.flatten(["type", "note"])]


def test_table_schema_is_valid_and_the_check_can_fail(dictionary: Dictionary) -> None:
    descriptor = to_table_schema(dictionary)
    assert _schema_errors(descriptor) == []
    broken = copy.deepcopy(descriptor)
    broken["fields"][0]["type"] = "int"
    assert _schema_errors(broken) != []
    broken = copy.deepcopy(descriptor)
    broken["primaryKey"] = ["no_such_field"]
    assert _schema_errors(broken) != []


def test_table_schema_fields(dictionary: Dictionary) -> None:
    descriptor = to_table_schema(dictionary)
    fields = {f["name"]: f for f in descriptor["fields"]}
    assert fields["client_id"] == {
        "name": "client_id", "title": "Client ID", "description": "Client Index Number.",
        "type": "integer", "constraints": {"required": True}, "x-source-type": "integer",
        "x-classifications": ["PII:other_id"], "x-standard-element": "USCDI Patient Identifier",
        "x-glossary": ["Client Index Number"],
    }
    assert fields["birth_date"]["type"] == "date" and "constraints" not in fields["birth_date"]
    assert fields["birth_date"]["x-statutes"] == [
        {"citation": "45 CFR § 164.514(b)(2)", "title": "", "url": ""},
        {"citation": "WIC § 10850(a)", "title": "Confidentiality of applicant records",
         "url": "https://leginfo.legislature.ca.gov/wic10850"},
    ]
    assert fields["county_code"]["constraints"] == {"required": True, "enum": ["01", "19"]}
    assert fields["county_code"]["x-valid-values"] == [
        {"code": "01", "meaning": "Alameda"}, {"code": "19", "meaning": "Los Angeles"}]
    assert fields["status_code"]["constraints"] == {"enum": [1, 2]}
    # "U" is no integer: an enum would reject good rows, so the codes stay in x-valid-values.
    assert "constraints" not in fields["risk_level"]
    assert len(fields["risk_level"]["x-valid-values"]) == 2
    assert {name: f["type"] for name, f in fields.items()} == {
        "client_id": "integer", "full_name": "string", "birth_date": "date",
        "county_code": "string", "status_code": "integer", "risk_level": "integer",
        "enrolled": "boolean", "program_id": "integer", "manager_id": "integer",
        "balance": "number", "notes": "string", "profile": "any", "created_at": "datetime",
    }
    assert descriptor["primaryKey"] == ["client_id"]
    assert descriptor["foreignKeys"] == [
        {"fields": ["program_id"], "reference": {"resource": "public.programs",
                                                  "fields": ["program_id"]}},
        {"fields": ["manager_id"], "reference": {"resource": "", "fields": ["client_id"]}},
    ]
    assert descriptor["title"] == "Clients"
    assert descriptor["x-dataset"]["owner"] == "Enrollment Branch"
    assert [g["term"] for g in descriptor["x-glossary"]] == ["Client Index Number", "county"]


def test_table_schema_checks_real_rows(dictionary: Dictionary) -> None:
    """The mapped types and enums accept what the source holds and reject what it cannot."""
    descriptor = to_table_schema(dictionary)
    del descriptor["foreignKeys"]  # they point at tables outside this one resource
    header = [f["name"] for f in descriptor["fields"]]
    good = ["1", "Ada Lovelace", "1990-02-03", "19", "2", "1", "true", "7", "1", "12.50",
            "note", '{"a": 1}', "2024-05-06T07:08:09Z"]
    bad = [*good[:4], "3", *good[5:]]  # status 3 is not a valid value

    def errors(row: list[str]) -> list[str]:
        resource = frictionless.Resource(
            data=[header, row], schema=frictionless.Schema.from_descriptor(descriptor))
        return [t for t, *_ in frictionless.validate(resource).flatten(["type"])]

    assert errors(good) == []
    assert errors(bad) == ["constraint-error"]


@pytest.mark.parametrize(("source_type", "expected"), [
    ("integer", ("integer", "")), ("BIGINT UNSIGNED", ("integer", "")),
    ("int(11)", ("integer", "")), ("HUGEINT", ("integer", "")), ("INT64", ("integer", "")),
    ("tinyint(1)", ("integer", "")), ("numeric(10)", ("integer", "")),
    ("decimal(12,0)", ("integer", "")), ("numeric(10,2)", ("number", "")),
    ("NUMERIC", ("number", "")), ("double precision", ("number", "")),
    ("FLOAT", ("number", "")), ("real", ("number", "")),
    ("boolean", ("boolean", "")), ("bit(1)", ("boolean", "")), ("bit(8)", ("string", "")),
    ("character varying(40)", ("string", "")), ("NVARCHAR(MAX)", ("string", "")),
    ("enum('a','b')", ("string", "")), ("text", ("string", "")), ('"char"', ("string", "")),
    ("uuid", ("string", "uuid")), ("bytea", ("string", "binary")), ("BLOB", ("string", "binary")),
    ("date", ("date", "")), ("date32[day]", ("date", "")),
    ("timestamp without time zone", ("datetime", "")),
    ("timestamp(3) with time zone", ("datetime", "")), ("DATETIME(6)", ("datetime", "")),
    ("TIMESTAMP_NS", ("datetime", "")), ("timestamp[us, tz=UTC]", ("datetime", "")),
    ("time without time zone", ("time", "")), ("TIMETZ", ("time", "")),
    ("year(4)", ("year", "")), ("interval", ("duration", "")),
    ("integer[]", ("array", "")), ("VARCHAR[3]", ("array", "")),
    ("list<item: int64>", ("array", "")), ("array", ("array", "")),
    ("STRUCT(a DECIMAL(10,2), b INT)", ("object", "")), ("MAP(VARCHAR, INTEGER)", ("object", "")),
    ("object", ("object", "")), ("jsonb", ("any", "")), ("int4range", ("string", "")),
    ("point", ("any", "")), ("", ("any", "")), ("mystery", ("any", "")),
    ("string(date)", ("date", "")), ("string(date-time)", ("datetime", "")),
    ("string(email)", ("string", "email")), ("string(uri)", ("string", "uri")),
    ("string(byte)", ("string", "binary")), ("string(password)", ("string", "")),
    ("integer(int32)", ("integer", "")), ("number(double)", ("number", "")),
])
def test_type_mapping(source_type: str, expected: tuple[str, str]) -> None:
    assert table_schema_type(source_type) == expected


# --- JSON and the format table -------------------------------------------------------------------

def test_json_is_the_whole_snapshot_in_stable_order(dictionary: Dictionary) -> None:
    data = to_json(dictionary)
    assert list(data) == ["dataset", "fields", "glossary"]
    assert list(data["dataset"]) == [
        "id", "name", "title", "description", "program", "system", "owner", "contacts",
        "source", "kind", "row_count", "lifecycle"]
    first = data["fields"][0]
    assert list(first) == [
        "name", "position", "label", "data_type", "nullable", "primary_key", "foreign_key",
        "definition", "valid_values", "classifications", "statutes", "standard_element", "tags",
        "terms"]
    assert first["terms"] == [{"term": "Client Index Number", "acronym": "CIN",
                               "definition": "The identifier Medi-Cal gives a person."}]
    assert data["glossary"][1] == {"term": "county", "acronym": "", "definition":
                                   "One of 58 counties.", "fields": ["full_name", "county_code"]}
    assert json.loads(json.dumps(data)) == data


def test_every_format_renders_bytes(dictionary: Dictionary) -> None:
    assert set(FORMATS) == {"csv", "xlsx", "table-schema", "json"}
    rendered = {name: f.render(dictionary) for name, f in FORMATS.items()}
    assert rendered["csv"].startswith(b"\xef\xbb\xbf")  # so Excel reads "§" as UTF-8
    assert rendered["csv"].decode("utf-8-sig") == to_csv(dictionary)
    assert rendered["xlsx"][:2] == b"PK"
    assert json.loads(rendered["table-schema"]) == to_table_schema(dictionary)
    assert json.loads(rendered["json"]) == to_json(dictionary)
    assert "§" in rendered["json"].decode("utf-8")
    assert FORMATS["xlsx"].media_type.endswith("spreadsheetml.sheet")
    assert (FORMATS["table-schema"].extension, FORMATS["json"].extension) == ("schema.json",
                                                                             "json")
