"""Form parsing, notices and upload handling for the catalog pages.

The pages stay thin: this module turns posted text into the values services take (numbers,
dates, code lists) and reports what it cannot read as ``Problem``s, the same way services do,
so the person sees every mistake at once on the form they filled.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from accord.catalog.datasets import Inventory
from accord.catalog.fields import ClassLabel, Description, parse_valid_values
from accord.catalog.inventory_io import TARGETS
from accord.errors import Problem, ValidationFailed

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_FOLDER = "uploads"
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
# A stored upload is named only by the server: 22 URL-safe characters and a known suffix.
UPLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.(csv|xlsx)")
SHEET_SUFFIXES = (".csv", ".xlsx")

NOTICES = {
    "source_added": "The source was added. Harvest it to collect its datasets and fields.",
    "dataset_registered": "The dataset was registered.",
    "inventory_saved": "The inventory attributes were saved.",
    "description_saved": "The description was saved.",
    "classifications_saved": "The classifications were saved.",
    "statutes_saved": "The statutes were saved.",
    "term_linked": "The glossary term was linked to this field.",
    "term_unlinked": "The glossary term was unlinked from this field.",
    "reviewed": "The field is marked as reviewed.",
    "term_saved": "The glossary term was saved.",
    "statute_added": "The statute was added to the library.",
    "cancel_requested": "Cancelling: the harvest stops at its next step and changes nothing.",
    "written_back": "The definitions were written to the source database as column comments.",
    "submitted_for_review": "The description was submitted for review.",
    "descriptions_submitted": "The described fields were submitted for review.",
    "description_published": "The description was published.",
    "description_sent_back": "The description was sent back to its author with your note.",
    "statute_check_saved": "The statute check was saved.",
    "suggestion_accepted": "The suggestion was accepted: the field now has that classification.",
    "suggestion_rejected": "The suggestion was rejected.",
    "fields_assigned": "The fields were assigned to the steward; they appear on the steward's "
    "My work page.",
}


def notice(request: Request) -> str | None:
    """The message named by ``?notice=`` (only known keys: the text never comes from the URL)."""
    key = request.query_params.get("notice", "")
    if key == "imported":
        created = _count(request.query_params.get("created"))
        updated = _count(request.query_params.get("updated"))
        return f"The inventory was imported: {created} new, {updated} updated."
    if key == "terms_imported":
        count = _count(request.query_params.get("count"))
        return f"{count} glossary term{' was' if count == 1 else 's were'} imported."
    return NOTICES.get(key)


def done(url: str, key: str) -> RedirectResponse:
    """After a successful post: back to a page, which shows the notice named ``key``."""
    return RedirectResponse(f"{url}?notice={key}", status_code=303)


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


class InventoryForm(BaseModel):
    """The inventory attributes as the form posts them: all text, checked by ``to_inventory``."""

    title: str = ""
    description: str = ""
    program: str = ""
    system: str = ""
    vendor_managed: str = ""  # "" (not recorded), "yes", "no"
    owner: str = ""
    contacts: str = ""
    related_programs: str = ""
    objectives: str = ""
    lifecycle: str = ""
    lifecycle_since: str = ""
    retention_months: str = ""
    listed_publicly: str = ""  # "yes" when the box is ticked; a form without it unlists

    def to_inventory(self) -> Inventory:
        """Raise ValidationFailed listing every value that cannot be read."""
        problems: list[Problem] = []
        retention: int | None = None
        if self.retention_months.strip():
            try:
                retention = int(self.retention_months.strip())
            except ValueError:
                problems.append(Problem("retention_months", "Give a whole number of months."))
        since: date | None = None
        if self.lifecycle_since.strip():
            try:
                since = date.fromisoformat(self.lifecycle_since.strip())
            except ValueError:
                problems.append(Problem("lifecycle_since", "Give a date as YYYY-MM-DD."))
        if problems:
            raise ValidationFailed(problems)
        vendor = {"yes": True, "no": False}.get(self.vendor_managed)
        return Inventory(
            title=self.title,
            description=self.description,
            program=self.program,
            system=self.system,
            vendor_managed=vendor,
            owner=self.owner,
            contacts=self.contacts,
            related_programs=self.related_programs,
            objectives=self.objectives,
            lifecycle=self.lifecycle or None,
            lifecycle_since=since,
            retention_months=retention,
            listed_publicly=self.listed_publicly == "yes",
        )


class DescriptionForm(BaseModel):
    label: str = ""
    definition: str = ""
    valid_values: str = ""  # one "code = meaning" per line
    standard_element: str = ""
    tags: str = ""  # comma-separated

    def to_description(self) -> Description:
        return Description(
            label=self.label,
            definition=self.definition,
            valid_values=parse_valid_values(self.valid_values),
            standard_element=self.standard_element,
            tags=[t for t in self.tags.split(",") if t.strip()],
        )


def valid_values_text(values: list[dict[str, str]]) -> str:
    """The stored code list as the person types it, so the form round-trips."""
    return "\n".join(f"{v['code']} = {v['meaning']}" if v["meaning"] else v["code"] for v in values)


def citation_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def grouped_vocabulary(
    vocabulary: Sequence[ClassLabel],
) -> list[tuple[ClassLabel, list[ClassLabel]]]:
    """Top-level classes, each with its sub-types, for checkboxes grouped by parent."""
    children: dict[str, list[ClassLabel]] = {}
    for c in vocabulary:
        if c.parent_code:
            children.setdefault(c.parent_code, []).append(c)
    return [(c, children.get(c.code, [])) for c in vocabulary if not c.parent_code]


def mapping_from_form(form: Mapping[str, object]) -> dict[str, str]:
    """Target attribute -> chosen spreadsheet column, from ``map_<target>`` selects."""
    chosen = {t: form.get(f"map_{t}") for t in TARGETS}
    return {t: v for t, v in chosen.items() if isinstance(v, str) and v}


def location_for_redisplay(location: str) -> str:
    """A database address typed with a password is shown again without it: a secret is never
    echoed back into a page, even to the person who typed it."""
    try:
        url = make_url(location.strip())
    except ArgumentError:
        return location
    if url.password is None:
        return location
    return url.set(password="").render_as_string(hide_password=False).replace(":@", "@")


def download_name(name: str, extension: str) -> str:
    """A file name safe in a Content-Disposition header whatever the dataset is called."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "dataset"
    return f"{stem}.{extension}"


# --- Uploads -----------------------------------------------------------------------------------


def read_upload(upload: UploadFile | None, field: str = "file") -> bytes:
    """The uploaded bytes; refuse a missing file or one over the size limit."""
    if upload is None or not upload.filename:
        raise ValidationFailed([Problem(field, "Choose a file to upload.")])
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            [
                Problem(
                    field,
                    f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
                    "split it into smaller files.",
                )
            ]
        )
    return data


def sheet_suffix(filename: str) -> str:
    """Only the extension of the client's file name is used, never the name itself."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise ValidationFailed([Problem("file", "Upload a CSV (.csv) or Excel (.xlsx) file.")])
    return suffix


def _upload_folder(data_dir: Path) -> Path:
    folder = data_dir / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def store_upload(data_dir: Path, data: bytes, suffix: str) -> str:
    """Keep an upload between the two import steps under a random name; return that name.

    Uploads abandoned for a day are removed here, so the folder does not grow.
    """
    folder = _upload_folder(data_dir)
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for old in folder.iterdir():
        if UPLOAD_TOKEN.fullmatch(old.name) and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16) + suffix
    fd = os.open(folder / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return token


def load_upload(data_dir: Path, token: str) -> bytes:
    """The stored upload named by ``token``; anything but a server-made name is refused."""
    gone = ValidationFailed(
        [Problem("file", "The uploaded file is no longer here; upload it again.")]
    )
    if not UPLOAD_TOKEN.fullmatch(token):
        raise gone
    try:
        return (_upload_folder(data_dir) / token).read_bytes()
    except FileNotFoundError:
        raise gone from None


def discard_upload(data_dir: Path, token: str) -> None:
    if UPLOAD_TOKEN.fullmatch(token):
        (_upload_folder(data_dir) / token).unlink(missing_ok=True)


# What each import target means, as the mapping step shows it.
TARGET_LABELS: dict[str, str] = {
    "name": "Dataset name (required)",
    "kind": "Kind (table, view, report, extract, api)",
    "title": "Title",
    "description": "Business description",
    "program": "Program",
    "system": "System",
    "vendor_managed": "Vendor-managed (yes / no)",
    "owner": "Owner",
    "contacts": "Points of contact",
    "related_programs": "Related programs",
    "objectives": "Relation to objectives",
    "lifecycle": "Lifecycle status",
    "retention_months": "Retention period (months)",
    "listed_publicly": "Listed on the public request-data page (yes / no)",
}
