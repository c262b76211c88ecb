"""Data dictionaries: one snapshot of a dataset's fields and metadata, rendered as CSV, Excel,
Frictionless Table Schema and JSON.

The snapshot is read once, with a fixed number of queries, and every format is a pure function
of it, so the web page, the CLI and the API export exactly the same content.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.fields import field_classifications, valid_values_of
from accord.catalog.glossary import terms_of_fields
from accord.catalog.models import CatalogField, Dataset
from accord.catalog.published import as_published, as_read_by
from accord.catalog.statutes import field_statutes
from accord.catalog.table_schema_types import table_schema_type
from accord.csv_cells import safe_row
from accord.errors import NotFound

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SEPARATOR = "; "  # between the values of a multi-valued cell in CSV and Excel


@dataclass(frozen=True)
class ValidValue:
    code: str
    meaning: str


@dataclass(frozen=True)
class StatuteRef:
    citation: str
    title: str
    url: str


@dataclass(frozen=True)
class TermRef:
    term: str
    acronym: str
    definition: str


@dataclass(frozen=True)
class DictionaryField:
    name: str
    position: int
    label: str
    data_type: str  # as the source names it
    nullable: bool
    primary_key: bool
    foreign_key: str  # "table.column" (or "schema.table.column") it refers to
    definition: str
    valid_values: tuple[ValidValue, ...]
    classifications: tuple[str, ...]
    statutes: tuple[StatuteRef, ...]
    standard_element: str
    tags: tuple[str, ...]
    terms: tuple[TermRef, ...]


@dataclass(frozen=True)
class GlossaryEntry:
    """A glossary term used by the dataset, with the fields linked to it."""

    term: str
    acronym: str
    definition: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DictionaryDataset:
    id: int
    name: str
    title: str
    description: str
    program: str
    system: str
    owner: str
    contacts: str
    source: str  # the source's name; "" for a dataset registered by hand
    kind: str
    row_count: int | None
    lifecycle: str


@dataclass(frozen=True)
class Dictionary:
    """Everything a data dictionary shows, detached from the session."""

    dataset: DictionaryDataset
    fields: tuple[DictionaryField, ...]
    glossary: tuple[GlossaryEntry, ...]


def build_dictionary(
    session: Session, actor: Actor, dataset_id: int, *, published: bool = False
) -> Dictionary:
    """Snapshot a dataset's current fields (removed ones left out) and their metadata, each
    described as the actor reads it, or as published (``published``: for another department).

    Five queries whatever the number of fields: the dataset, its fields, then classifications,
    statutes and glossary terms in bulk. Raises PermissionDenied, or NotFound for an unknown id.
    """
    check(actor, Action.VIEW_CATALOG)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset {dataset_id}.")
    found = list(
        session.scalars(
            select(CatalogField)
            .options(lazyload(CatalogField.dataset))  # already loaded: skip the eager join
            .where(CatalogField.dataset_id == dataset_id, CatalogField.removed_at.is_(None))
            .order_by(CatalogField.position, CatalogField.name)
        )
    )
    rows = as_published(session, found) if published else as_read_by(session, actor, found)
    ids = [f.id for f in rows]
    classes = field_classifications(session, ids) if ids else {}
    statutes = field_statutes(session, ids) if ids else {}
    terms = terms_of_fields(session, ids) if ids else {}

    entries: list[DictionaryField] = []
    refs: dict[int, TermRef] = {}
    users: dict[int, list[str]] = {}  # term id -> names of the fields linked to it
    for f in rows:
        linked = sorted(terms.get(f.id, []), key=lambda t: t.term.casefold())
        for t in linked:
            refs.setdefault(t.id, TermRef(t.term, t.acronym, t.definition))
            users.setdefault(t.id, []).append(f.name)
        entries.append(
            DictionaryField(
                name=f.name,
                position=f.position,
                label=f.label,
                data_type=f.data_type,
                nullable=f.nullable,
                primary_key=f.primary_key,
                foreign_key=f.foreign_key,
                definition=f.definition,
                valid_values=tuple(
                    ValidValue(str(v.get("code", "")), str(v.get("meaning", "")))
                    for v in valid_values_of(f)
                ),
                classifications=tuple(classes.get(f.id, [])),
                statutes=tuple(
                    sorted(
                        (StatuteRef(s.citation, s.title, s.url) for s in statutes.get(f.id, [])),
                        key=lambda s: s.citation,
                    )
                ),
                standard_element=f.standard_element,
                tags=tuple(t.strip() for t in f.tags.split(",") if t.strip()),
                terms=tuple(refs[t.id] for t in linked),
            )
        )
    return Dictionary(
        dataset=DictionaryDataset(
            id=dataset.id,
            name=dataset.name,
            title=dataset.title,
            description=dataset.description,
            program=dataset.program,
            system=dataset.system,
            owner=dataset.owner,
            contacts=dataset.contacts,
            source=dataset.source.name if dataset.source is not None else "",
            kind=dataset.kind,
            row_count=dataset.row_count,
            lifecycle=dataset.lifecycle,
        ),
        fields=tuple(entries),
        glossary=tuple(
            sorted(
                (
                    GlossaryEntry(ref.term, ref.acronym, ref.definition, tuple(users[term_id]))
                    for term_id, ref in refs.items()
                ),
                key=lambda g: g.term.casefold(),
            )
        ),
    )


# --- CSV and Excel -----------------------------------------------------------------------------

# (CSV header, Excel header, cell) for one row per field; both formats share it so they agree.
_COLUMNS: tuple[tuple[str, str, Callable[[DictionaryField], str]], ...] = (
    ("name", "Field", lambda f: f.name),
    ("label", "Label", lambda f: f.label),
    ("data_type", "Data type", lambda f: f.data_type),
    ("nullable", "Nullable", lambda f: "yes" if f.nullable else "no"),
    ("primary_key", "Primary key", lambda f: "yes" if f.primary_key else "no"),
    ("foreign_key", "Foreign key", lambda f: f.foreign_key),
    ("definition", "Definition", lambda f: f.definition),
    (
        "valid_values",
        "Valid values",
        lambda f: SEPARATOR.join(
            f"{v.code} = {v.meaning}" if v.meaning else v.code for v in f.valid_values
        ),
    ),
    ("classifications", "Classifications", lambda f: SEPARATOR.join(f.classifications)),
    ("statutes", "Statutes", lambda f: SEPARATOR.join(s.citation for s in f.statutes)),
    ("standard_element", "Standard element", lambda f: f.standard_element),
    ("tags", "Tags", lambda f: SEPARATOR.join(f.tags)),
    ("glossary_terms", "Glossary terms", lambda f: SEPARATOR.join(t.term for t in f.terms)),
)


def to_csv(d: Dictionary) -> str:
    """One row per field, multi-valued cells joined with "; "."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["dataset", *(key for key, _, _ in _COLUMNS)])
    for f in d.fields:
        writer.writerow(safe_row([d.dataset.name, *(cell(f) for _, _, cell in _COLUMNS)]))
    return out.getvalue()


def _dataset_rows(d: Dictionary) -> list[tuple[str, str]]:
    ds = d.dataset
    return [
        ("Name", ds.name),
        ("Title", ds.title),
        ("Description", ds.description),
        ("Program", ds.program),
        ("System", ds.system),
        ("Owner", ds.owner),
        ("Contacts", ds.contacts),
        ("Source", ds.source),
        ("Kind", ds.kind),
        ("Row count", "" if ds.row_count is None else str(ds.row_count)),
        ("Lifecycle", ds.lifecycle),
        ("Fields", str(len(d.fields))),
    ]


def to_xlsx(d: Dictionary) -> bytes:
    """A workbook with sheets "Fields", "Glossary" and "Dataset", ready to read and to filter."""
    from openpyxl import Workbook  # a fifth of a second to import: only for a workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Fields"
    _fill(
        sheet,
        [header for _, header, _ in _COLUMNS],
        [[cell(f) for _, _, cell in _COLUMNS] for f in d.fields],
    )
    _fill(
        book.create_sheet("Glossary"),
        ["Term", "Acronym", "Definition", "Fields"],
        [[g.term, g.acronym, g.definition, SEPARATOR.join(g.fields)] for g in d.glossary],
    )
    _fill(
        book.create_sheet("Dataset"),
        ["Attribute", "Value"],
        [list(row) for row in _dataset_rows(d)],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, headers: list[str], rows: list[list[str]]) -> None:
    """Write a bold, frozen, filterable header and wrapped text, widths fitted to the content."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append(headers)
    for row in rows:
        # Excel refuses control characters, which database comments can contain.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            # Harvested text is data, never a formula: "=HYPERLINK(...)" in a column comment
            # must not become a live formula in a steward's spreadsheet.
            if cell.data_type == "f":
                cell.data_type = "s"
            cell.alignment = wrap
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index, header in enumerate(headers):
        longest = max([len(header), *(_longest_line(row[index]) for row in rows)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(longest, 8), 60) + 2


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


# --- Frictionless Table Schema -----------------------------------------------------------------


def _enum(kind: str, values: tuple[ValidValue, ...]) -> list[Any] | None:
    """The codes as Table Schema values of the field's type, or None when they do not fit
    (e.g. "U" for unknown in an integer column): a wrong enum would reject good data."""
    codes = [v.code for v in values]
    if not codes:
        return None
    if kind == "string":
        return codes
    if kind in ("integer", "year"):
        return [int(c) for c in codes] if all(re.fullmatch(r"[+-]?\d+", c) for c in codes) else None
    if kind == "number":
        numbers: list[Any] = []
        for code in codes:
            try:
                number = float(code)
            except ValueError:
                return None
            if not math.isfinite(number):
                return None
            numbers.append(int(code) if re.fullmatch(r"[+-]?\d+", code) else number)
        return numbers
    return None


def _table_field(f: DictionaryField) -> dict[str, Any]:
    kind, fmt = table_schema_type(f.data_type)
    out: dict[str, Any] = {"name": f.name}
    if f.label:
        out["title"] = f.label
    if f.definition:
        out["description"] = f.definition
    out["type"] = kind
    if fmt:
        out["format"] = fmt
    constraints: dict[str, Any] = {}
    if not f.nullable:
        constraints["required"] = True
    enum = _enum(kind, f.valid_values)
    if enum is not None:
        constraints["enum"] = enum
    if constraints:
        out["constraints"] = constraints
    custom: dict[str, Any] = {
        "x-source-type": f.data_type,
        "x-valid-values": [{"code": v.code, "meaning": v.meaning} for v in f.valid_values],
        "x-classifications": list(f.classifications),
        "x-statutes": [
            {"citation": s.citation, "title": s.title, "url": s.url} for s in f.statutes
        ],
        "x-standard-element": f.standard_element,
        "x-tags": list(f.tags),
        "x-glossary": [t.term for t in f.terms],
    }
    out.update((key, value) for key, value in custom.items() if value)
    return out


def _foreign_key(f: DictionaryField, dataset_name: str) -> dict[str, Any] | None:
    resource, dot, column = f.foreign_key.rpartition(".")
    if not (dot and resource and column):
        return None
    # Table Schema names a reference to the same table with the empty resource name.
    return {
        "fields": [f.name],
        "reference": {"resource": "" if resource == dataset_name else resource, "fields": [column]},
    }


def to_table_schema(d: Dictionary) -> dict[str, Any]:
    """A Frictionless Table Schema descriptor; Accord's metadata sits under "x-" keys."""
    ds = d.dataset
    schema: dict[str, Any] = {"title": ds.title or ds.name}
    if ds.description:
        schema["description"] = ds.description
    schema["fields"] = [_table_field(f) for f in d.fields]
    primary_key = [f.name for f in d.fields if f.primary_key]
    if primary_key:
        schema["primaryKey"] = primary_key
    foreign_keys = [fk for f in d.fields if (fk := _foreign_key(f, ds.name)) is not None]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    schema["x-dataset"] = {key: value for key, value in _plain(ds).items() if key != "id"}
    if d.glossary:
        schema["x-glossary"] = _plain(list(d.glossary))
    return schema


# --- JSON and the format table -----------------------------------------------------------------


def to_json(d: Dictionary) -> dict[str, Any]:
    """The whole snapshot as JSON-ready values, keys in declaration order."""
    return cast(dict[str, Any], _plain(d))


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class Format(NamedTuple):
    """How the web, CLI and API layers serve one format, so they name files alike."""

    render: Callable[[Dictionary], bytes]
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    # A byte-order mark, so that Excel reads the file as UTF-8 ("§" in citations survives).
    "csv": Format(lambda d: to_csv(d).encode("utf-8-sig"), "text/csv; charset=utf-8", "csv"),
    "xlsx": Format(
        to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    "table-schema": Format(
        lambda d: _json_bytes(to_table_schema(d)), "application/json", "schema.json"
    ),
    "json": Format(lambda d: _json_bytes(to_json(d)), "application/json", "json"),
}
