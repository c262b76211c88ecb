"""The department's releases: the history, one release's report, and its stored files.

A release is made on the De-identify page (or by the API or the CLI) and kept by the release
service; these pages only read it back. The files are served from the data directory by
name, only the names the release wrote.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog.datasets import datasets_by_id, get_dataset
from accord.config import Settings
from accord.deid.io.report import report_dimensions, withheld_rows
from accord.releases.models import TableRelease
from accord.releases.service import get_release, list_releases, release_file
from accord.web.deps import DbSession, OptionalQueryId, RowId, get_settings, require
from accord.web.render import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_RELEASES))]
AppSettings = Annotated[Settings, Depends(get_settings)]
SHOWN_CELLS = 1_000  # withheld cells listed on the page; report.json has every one

# What each stored file is, in the order the page offers them.
FILES = {
    "table.csv": (
        "text/csv",
        "The table for the Open Data Portal: withheld values are blank, with an annotation code.",
    ),
    "table.md": ("text/markdown", "The table for people: symbols S and C with footnotes."),
    "metadata.txt": ("text/plain", "The notes to publish with the table."),
    "report.html": ("text/html", "The report for the reviewer, to read or print."),
    "report.json": ("application/json", "The report, for the record and for tools."),
}


@router.get("/deid/releases")
def releases_page(
    request: Request, session: DbSession, actor: Viewer, dataset: OptionalQueryId = None
) -> Response:
    records = list_releases(session, actor, dataset_id=dataset)
    linked = datasets_by_id(session, actor, [r.dataset_id for r in records])
    context = {
        "releases": records,
        "datasets": linked,
        "dataset": None if dataset is None else get_dataset(session, actor, dataset),
    }
    return render(request, "deid/releases.html", context)


@router.get("/deid/releases/{release_id}")
def release_page(
    request: Request, session: DbSession, settings: AppSettings, actor: Viewer, release_id: RowId
) -> Response:
    record = get_release(session, actor, release_id)
    context: dict[str, Any] = {
        "release": record,
        "downloads": _downloads(record),
        "dataset": datasets_by_id(session, actor, [record.dataset_id]).get(record.dataset_id or 0),
    }
    if record.outcome == "released":
        report = json.loads(release_file(settings, record, "report.json").read_text("utf-8"))
        shown, more = withheld_rows(report, SHOWN_CELLS)
        context |= {
            "report": report,
            "table_md": release_file(settings, record, "table.md").read_text("utf-8"),
            "suppressed": shown,
            "more_withheld": more,
            "dimensions": report_dimensions(report),
        }
    return render(request, "deid/release.html", context)


@router.get("/deid/releases/{release_id}/files/{name}")
def release_download(
    session: DbSession, settings: AppSettings, actor: Viewer, release_id: RowId, name: str
) -> Response:
    record = get_release(session, actor, release_id)
    path = release_file(settings, record, name)
    mime = FILES.get(name, ("application/octet-stream", ""))[0]
    return FileResponse(path, media_type=mime, filename=f"release-{record.id}-{name}")


def _downloads(record: TableRelease) -> list[dict[str, str]]:
    return [
        {"file": name, "href": f"/deid/releases/{record.id}/files/{name}", "what": what}
        for name, (_, what) in FILES.items()
        if name in record.files
    ]
