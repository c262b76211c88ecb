"""Importing an existing inventory spreadsheet (CSV or Excel) and exporting the inventory.

Import is two steps, as people do it by hand: read the file and propose which column holds
what (``preview_inventory``), then import with the mapping the person confirmed. Every row is
checked first; one bad row means nothing is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.datasets import (
    Inventory,
    inventory_problems,
    list_datasets,
    register_dataset,
    update_inventory,
)
from accord.catalog.models import DATASET_KINDS, Dataset
from accord.csv_cells import restored, safe_row
from accord.errors import Problem, ValidationFailed

MAX_ROWS = 20_000
# Target attribute -> words that suggest a spreadsheet column holds it.
TARGETS: dict[str, tuple[str, ...]] = {
    "name": ("name", "dataset", "table"),
    "kind": ("kind", "type", "format"),
    "title": ("title",),
    "description": ("description", "business description", "summary"),
    "program": ("program",),
    "system": ("system", "application"),
    "vendor_managed": ("vendor", "vendor managed", "hosting"),
    "owner": ("owner", "data owner"),
    "contacts": ("contact", "contacts", "point of contact"),
    "related_programs": ("related programs", "related"),
    "objectives": ("objective", "objectives"),
    "lifecycle": ("lifecycle", "status"),
    "retention_months": ("retention", "retention months"),
    "listed_publicly": ("listed publicly", "public", "request data"),
}
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")
EXPORT_COLUMNS = ("name", "kind", "source", *[t for t in TARGETS if t not in ("name", "kind")])


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[list[str]]


def read_sheet(data: bytes, filename: str) -> Sheet:
    """The first sheet of an .xlsx, or a UTF-8 CSV, as text cells."""
    if filename.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ValidationFailed([Problem("file", "This is not a readable Excel file.")]) from exc
        cells = [
            ["" if c is None else str(c) for c in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig")
            cells = [[restored(c) for c in row] for row in csv.reader(io.StringIO(text))]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValidationFailed([Problem("file", "This is not a UTF-8 CSV file.")]) from exc
    cells = [row for row in cells if any(c.strip() for c in row)]
    if not cells:
        raise ValidationFailed([Problem("file", "The file is empty.")])
    if len(cells) > MAX_ROWS + 1:
        raise ValidationFailed([Problem("file", f"At most {MAX_ROWS} rows per import.")])
    headers = [h.strip() for h in cells[0]]
    return Sheet(headers, [row + [""] * (len(headers) - len(row)) for row in cells[1:]])


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """Target attribute -> the header that most likely holds it."""
    mapping: dict[str, str] = {}
    for target, hints in TARGETS.items():
        for header in headers:
            lowered = header.lower().replace("_", " ")
            if header not in mapping.values() and (lowered in hints or lowered == target):
                mapping[target] = header
                break
    return mapping


def import_inventory(
    session: Session, actor: Actor, sheet: Sheet, mapping: dict[str, str]
) -> tuple[int, int]:
    """Create or update datasets from ``sheet``; returns (created, updated)."""
    check(actor, Action.EDIT_INVENTORY)
    unknown = [t for t in mapping if t not in TARGETS]
    missing = [h for h in mapping.values() if h and h not in sheet.headers]
    problems = [Problem("mapping", f"Unknown attribute {t!r}.") for t in unknown]
    problems += [Problem("mapping", f"No column {h!r} in the file.") for h in missing]
    if "name" not in mapping:
        problems.append(Problem("mapping", "Say which column holds the dataset name."))
    if problems:
        raise ValidationFailed(problems)
    index = {t: sheet.headers.index(h) for t, h in mapping.items() if h}
    parsed = []
    for number, row in enumerate(sheet.rows, start=2):
        values = {t: row[i].strip() for t, i in index.items()}
        item, row_problems = _parse_row(values, number)
        problems += row_problems
        parsed.append(item)
    if problems:
        raise ValidationFailed(problems)
    existing = {
        d.name: d for d in session.scalars(select(Dataset).where(Dataset.source_id.is_(None)))
    }
    created = updated = 0
    for name, kind, change in parsed:
        if name in existing:
            update_inventory(session, actor, existing[name].id, change)
            updated += 1
        else:
            existing[name] = register_dataset(session, actor, name=name, kind=kind, change=change)
            created += 1
    return created, updated


def _parse_row(
    values: dict[str, str], number: int
) -> tuple[tuple[str, str, Inventory], list[Problem]]:
    problems = []
    where = f"row {number}"
    if not values.get("name"):
        problems.append(Problem(where, "The dataset name is empty."))
    kind = values.pop("kind", "") or "table"
    if kind.lower() not in DATASET_KINDS:
        problems.append(Problem(where, f"Kind {kind!r} is not one of {', '.join(DATASET_KINDS)}."))
    retention: int | None = None
    if values.get("retention_months"):
        try:
            retention = int(float(values["retention_months"]))
        except ValueError:
            problems.append(Problem(where, "Retention must be a number of months."))
    vendor: bool | None = None
    if values.get("vendor_managed"):
        vendor = values["vendor_managed"].lower() in ("yes", "y", "true", "1", "vendor")
    lifecycle = values.get("lifecycle", "").lower().replace(" ", "_") or None
    # an empty cell leaves the listing as it is; anything but yes or no is refused, since a
    # misread word would put a dataset before the public or take it away
    listed: bool | None = None
    if answer := values.get("listed_publicly", "").lower():
        listed = answer in YES
        if answer not in YES + NO:
            problems.append(Problem(where, "Listed publicly must be yes or no."))

    def text(attribute: str) -> str | None:
        return values.get(attribute) or None

    change = Inventory(
        title=text("title"),
        description=text("description"),
        program=text("program"),
        system=text("system"),
        owner=text("owner"),
        contacts=text("contacts"),
        related_programs=text("related_programs"),
        objectives=text("objectives"),
        retention_months=retention,
        vendor_managed=vendor,
        lifecycle=lifecycle,
        listed_publicly=listed,
    )
    problems += [Problem(where, p.message) for p in inventory_problems(change)]
    return (values.get("name", ""), kind.lower(), change), problems


def export_rows(session: Session, actor: Actor) -> list[list[str]]:
    rows = [list(EXPORT_COLUMNS)]
    for item in list_datasets(session, actor, limit=1_000_000):
        d = item.dataset
        values = {
            "source": d.source.name if d.source else "",
            "vendor_managed": (
                "" if d.vendor_managed is None else ("yes" if d.vendor_managed else "no")
            ),
            "listed_publicly": "yes" if d.listed_publicly else "no",
        }
        rows.append([str(values.get(c, getattr(d, c, "")) or "") for c in EXPORT_COLUMNS])
    return rows


def export_csv(session: Session, actor: Actor) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(safe_row(row) for row in export_rows(session, actor))
    return out.getvalue().encode()


def export_xlsx(session: Session, actor: Actor) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Inventory"
    for row in export_rows(session, actor):
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:
            cell.data_type = "s"  # a value such as "=HYPERLINK(...)" is text, never a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
