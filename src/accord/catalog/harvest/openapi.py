"""Harvest an OpenAPI 3.0/3.1 document: each component schema is a dataset of kind "api".

A schema's properties become fields. Types read ``type`` plus ``format`` as "string(date)",
arrays as "array(<item type>)", and a ``$ref`` as "object(<Name>)"; ``allOf`` parts are merged
simply (their properties and ``required`` lists, in order, then the schema's own). A property is
not nullable when it is ``required`` and not marked nullable (3.0 ``nullable: true`` or a 3.1
``"null"`` type). ``description`` is the field's comment, ``enum`` its valid values, and the
extension keys ``x-classification`` (a string or a list, e.g. ["PII", "PHI:diagnosis"]) and
``x-statutes`` (a list such as ["WIC 10850(a)"]) become classifications and statutes.

A document that cannot be parsed, is not OpenAPI 3, or has no component schemas is refused
with ValidationFailed listing every problem found; an odd extension value is only a warning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from accord.catalog.harvest.model import Harvest, HarvestedDataset, HarvestedField
from accord.errors import Problem, ValidationFailed

MAX_DOCUMENT_BYTES = 20_000_000  # far above real API descriptions; bounds parse time and memory
LOCAL_SCHEMA = "#/components/schemas/"


def harvest_openapi(document: bytes | str, *, name_hint: str = "") -> Harvest:
    """Describe the component schemas of an OpenAPI 3 document (JSON or YAML) as datasets.

    ``name_hint`` (e.g. the uploaded file's name) becomes each dataset's ``schema``, falling
    back to the document's ``info.title``. Raises ValidationFailed.
    """
    spec = _parse(document)
    problems: list[Problem] = []
    version = spec.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.")):
        found = "a Swagger 2.0 document" if "swagger" in spec else f"openapi: {version!r}"
        problems.append(
            Problem("openapi", f"Expected an OpenAPI 3.0 or 3.1 document, not {found}.")
        )
    components = spec.get("components")
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    if not isinstance(schemas, Mapping) or not schemas:
        problems.append(Problem("components.schemas", "The document defines no component schemas."))
        schemas = {}
    info = spec.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    group = name_hint or (title if isinstance(title, str) else "")
    reader = _Reader(schemas, problems)
    datasets = [reader.dataset(str(name), schema, group) for name, schema in schemas.items()]
    if problems:
        raise ValidationFailed(problems, "The OpenAPI document was not accepted.")
    return Harvest(source_kind="openapi", datasets=datasets, warnings=reader.warnings)


def _parse(document: bytes | str) -> Mapping[str, Any]:
    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed([Problem("document", message)], "The document was not accepted.")

    size = len(document.encode() if isinstance(document, str) else document)
    if size > MAX_DOCUMENT_BYTES:
        raise refuse(f"The document has {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,}.")
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise refuse("The document is not UTF-8 text.") from None
    try:
        if document.lstrip().startswith(("{", "[")):
            parsed = json.loads(document)
        else:
            parsed = yaml.safe_load(document)
    except json.JSONDecodeError as exc:
        raise refuse(f"Not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise refuse(f"Not valid YAML{line}.") from None
    except RecursionError:
        raise refuse("The document is nested too deeply to read.") from None
    if not isinstance(parsed, Mapping):
        raise refuse("Not an OpenAPI document: expected an object at the top level.")
    return parsed


class _Reader:
    """Turns component schemas into datasets, resolving local references among them."""

    def __init__(self, schemas: Mapping[Any, Any], problems: list[Problem]) -> None:
        self.schemas = schemas
        self.problems = problems
        self.warnings: list[str] = []

    def dataset(self, name: str, schema: Any, group: str) -> HarvestedDataset:
        where = f"components.schemas.{name}"
        if not isinstance(schema, Mapping):
            self.problems.append(Problem(where, "A schema must be an object."))
            return HarvestedDataset(name=name, kind="api")
        properties, required = self._merge(schema, where, seen={name})
        fields = tuple(
            self._field(str(prop), spec, position, str(prop) in required, f"{where}.{prop}")
            for position, (prop, spec) in enumerate(properties.items(), start=1)
        )
        return HarvestedDataset(
            name=name, kind="api", schema=group, comment=_text(schema), fields=fields
        )

    def _merge(
        self, schema: Mapping[str, Any], where: str, seen: set[str]
    ) -> tuple[dict[Any, Any], set[str]]:
        """Properties and required names of ``schema``, allOf parts first, then its own."""
        properties: dict[Any, Any] = {}
        required: set[str] = set()
        parts = schema.get("allOf") or []
        if not isinstance(parts, list):
            self.problems.append(Problem(where, "allOf must be a list."))
            parts = []
        for part in parts:
            target = self._resolve(part, seen)
            if target is not None:
                more, needed = self._merge(target, where, seen)
                properties.update(more)
                required |= needed
        own = schema.get("properties") or {}
        if not isinstance(own, Mapping):
            self.problems.append(Problem(where, "properties must be an object."))
            own = {}
        properties.update(own)
        listed = schema.get("required") or []
        required |= {str(r) for r in listed} if isinstance(listed, list) else set()
        return properties, required

    def _resolve(self, part: Any, seen: set[str]) -> Mapping[str, Any] | None:
        """An allOf part itself, or the local schema it references (once: cycles stop here)."""
        if not isinstance(part, Mapping):
            return None
        ref = part.get("$ref")
        if not isinstance(ref, str):
            return part
        name = ref.removeprefix(LOCAL_SCHEMA)
        target = self.schemas.get(name) if ref.startswith(LOCAL_SCHEMA) else None
        if name in seen or not isinstance(target, Mapping):
            return None
        seen.add(name)
        return target

    def _field(
        self, name: str, spec: Any, position: int, required: bool, where: str
    ) -> HarvestedField:
        if not isinstance(spec, Mapping):
            self.problems.append(Problem(where, "A property must be a schema object."))
            return HarvestedField(name=name, position=position, data_type="any")
        data_type, null_allowed = _type_of(spec)
        return HarvestedField(
            name=name,
            position=position,
            data_type=data_type,
            nullable=null_allowed or not required,
            comment=_text(spec),
            classifications=self._labels(spec, "x-classification", where),
            statutes=self._labels(spec, "x-statutes", where),
            valid_values=tuple(_value(v) for v in spec.get("enum") or () if v is not None),
        )

    def _labels(self, spec: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = spec.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
        self.warnings.append(f"{where}: {key} should be a string or a list of strings; ignored.")
        return ()


def _type_of(spec: Mapping[str, Any]) -> tuple[str, bool]:
    """The readable type of a property schema, and whether it explicitly allows null."""
    ref = spec.get("$ref")
    if isinstance(ref, str):
        return f"object({ref.rsplit('/', 1)[-1]})", False
    parts = spec.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], Mapping):
        inner, _ = _type_of(parts[0])  # allOf: [$ref] is how 3.0 documents a described $ref
        return inner, spec.get("nullable") is True
    declared = spec.get("type")
    types = declared if isinstance(declared, list) else [declared]
    nullable = "null" in types or spec.get("nullable") is True
    named = [str(t) for t in types if t is not None and t != "null"]
    if not named:
        return "any", nullable
    kind = named[0] if len(named) == 1 else "|".join(named)
    if kind == "array":
        items = spec.get("items")
        inner = _type_of(items)[0] if isinstance(items, Mapping) else "any"
        return f"array({inner})", nullable
    fmt = spec.get("format")
    return (f"{kind}({fmt})" if isinstance(fmt, str) and fmt else kind), nullable


def _text(spec: Mapping[str, Any]) -> str:
    for key in ("description", "title"):
        value = spec.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
