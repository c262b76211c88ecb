"""Harvest OpenAPI 3 documents (YAML and JSON) with x- extension keys; malformed documents."""

from __future__ import annotations

import json

import pytest
import yaml

from accord.catalog.harvest.model import HarvestedDataset, HarvestedField
from accord.catalog.harvest.openapi import harvest_openapi
from accord.errors import ValidationFailed

YAML_DOC = """
openapi: 3.0.3
info: {title: Walk 2 Work enrollment, version: "1"}
paths: {}
components:
  schemas:
    Base:
      type: object
      required: [id]
      properties:
        id: {type: integer, format: int64, description: Enrollment identifier}
    Enrollment:
      description: One person's enrollment in the program.
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [person, diagnosis]
          properties:
            person:
              $ref: '#/components/schemas/Person'
            diagnosis:
              type: string
              nullable: true
              description: "ICD-10 code; \\"as coded\\""
              x-classification: [PHI, "PHI:diagnosis"]
              x-statutes: ["WIC 10850(a)", "HIPAA 164.514(b)"]
            status:
              type: string
              enum: [active, closed]
              x-classification: Public
            visits:
              type: array
              items: {$ref: '#/components/schemas/Visit'}
            score: {type: number, x-statutes: 7}
    Person:
      type: object
      properties:
        ssn: {type: string, x-classification: PII}
    Visit:
      type: string
      enum: [a, b]
"""


def _field(name: str, position: int, data_type: str, **kw: object) -> HarvestedField:
    return HarvestedField(name=name, position=position, data_type=data_type, **kw)  # type: ignore[arg-type]


EXPECTED = [
    HarvestedDataset(
        name="Base",
        kind="api",
        schema="Walk 2 Work enrollment",
        fields=(
            _field("id", 1, "integer(int64)", nullable=False, comment="Enrollment identifier"),
        ),
    ),
    HarvestedDataset(
        name="Enrollment",
        kind="api",
        schema="Walk 2 Work enrollment",
        comment="One person's enrollment in the program.",
        fields=(
            _field("id", 1, "integer(int64)", nullable=False, comment="Enrollment identifier"),
            _field("person", 2, "object(Person)", nullable=False),
            _field(
                "diagnosis",
                3,
                "string",
                comment='ICD-10 code; "as coded"',
                classifications=("PHI", "PHI:diagnosis"),
                statutes=("WIC 10850(a)", "HIPAA 164.514(b)"),
            ),
            _field(
                "status",
                4,
                "string",
                classifications=("Public",),
                valid_values=("active", "closed"),
            ),
            _field("visits", 5, "array(object(Visit))"),
            _field("score", 6, "number"),
        ),
    ),
    HarvestedDataset(
        name="Person",
        kind="api",
        schema="Walk 2 Work enrollment",
        fields=(_field("ssn", 1, "string", classifications=("PII",)),),
    ),
    HarvestedDataset(name="Visit", kind="api", schema="Walk 2 Work enrollment"),
]
WARNING = (
    "components.schemas.Enrollment.score: "
    "x-statutes should be a string or a list of strings; ignored."
)


def test_yaml_document_becomes_datasets_with_extension_keys() -> None:
    harvest = harvest_openapi(YAML_DOC.encode())
    assert harvest.source_kind == "openapi"
    assert harvest.datasets == EXPECTED
    assert harvest.warnings == [WARNING]


def test_json_document_31_nullable_types_and_name_hint() -> None:
    doc = yaml.safe_load(YAML_DOC)
    doc["openapi"] = "3.1.0"
    doc["components"]["schemas"]["Person"]["properties"]["nickname"] = {
        "type": ["string", "null"],
        "format": "name",
        "enum": ["x", None, 3, True],
    }
    doc["components"]["schemas"]["Person"]["required"] = ["nickname", "ssn"]
    harvest = harvest_openapi(json.dumps(doc), name_hint="enrollment.json")
    person = next(d for d in harvest.datasets if d.name == "Person")
    assert person.schema == "enrollment.json"
    assert person.fields == (
        _field("ssn", 1, "string", nullable=False, classifications=("PII",)),
        _field("nickname", 2, "string(name)", valid_values=("x", "3", "true")),
    )


def test_allof_cycles_do_not_loop() -> None:
    doc = {
        "openapi": "3.0.0",
        "components": {
            "schemas": {
                "A": {"allOf": [{"$ref": "#/components/schemas/B"}], "properties": {"a": {}}},
                "B": {"allOf": [{"$ref": "#/components/schemas/A"}], "properties": {"b": {}}},
            }
        },
    }
    harvest = harvest_openapi(json.dumps(doc))
    assert [[f.name for f in d.fields] for d in harvest.datasets] == [["b", "a"], ["a", "b"]]
    assert harvest.datasets[0].fields[0].data_type == "any"


@pytest.mark.parametrize(
    ("document", "field", "fragment"),
    [
        (b"\xff\xfe\x00garbage", "document", "not UTF-8"),
        ("{not json", "document", "Not valid JSON"),
        ("openapi: [unclosed", "document", "Not valid YAML at line 1"),
        ("- just\n- a list\n", "document", "expected an object"),
        ("swagger: '2.0'\ncomponents: {schemas: {A: {}}}", "openapi", "Swagger 2.0"),
        ("openapi: 3.0.0\ninfo: {title: x}\n", "components.schemas", "no component schemas"),
        (
            "openapi: 3.0.0\ncomponents: {schemas: {A: 5}}",
            "components.schemas.A",
            "must be an object",
        ),
        (
            "openapi: 3.0.0\ncomponents: {schemas: {A: {properties: {x: 1}}}}",
            "components.schemas.A.x",
            "must be a schema object",
        ),
    ],
)
def test_malformed_documents_are_refused(document: bytes | str, field: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        harvest_openapi(document)
    problems = {p.field: p.message for p in caught.value.problems}
    assert field in problems
    assert fragment in problems[field]


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        harvest_openapi("swagger: '2.0'\ninfo: {title: x}\n")
    assert [p.field for p in caught.value.problems] == ["openapi", "components.schemas"]
