"""Inventory import (two steps: upload, then confirm the column mapping), export, retention."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog import inventory_io
from accord.catalog.datasets import (
    retention_due,
)
from accord.catalog.dictionary import FORMATS
from accord.errors import Problem, ValidationFailed
from accord.web.deps import (
    DbSession,
    get_settings,
    require,
)
from accord.web.forms import submit
from accord.web.pages.catalog import forms
from accord.web.render import render

router = APIRouter()  # included by datasets.router, which adds the prefix and the CSRF check

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_INVENTORY))]


# --- Inventory import and export, retention, search --------------------------------------------


@router.get("/inventory/import")
def import_page(request: Request, actor: Editor) -> Response:
    return render(request, "catalog/import.html", {})


@router.post("/inventory/import")
def import_upload(request: Request, actor: Editor, file: UploadFile | None = None) -> Response:
    """Step one: read the file, keep it under a server-made name, propose a column mapping."""
    data_dir = get_settings(request).data_dir
    try:
        data = forms.read_upload(file)
        suffix = forms.sheet_suffix(file.filename or "" if file is not None else "")
        sheet = inventory_io.read_sheet(data, f"upload{suffix}")
    except ValidationFailed as exc:
        return render(request, "catalog/import.html", {"problems": exc.problems}, status_code=422)
    token = forms.store_upload(data_dir, data, suffix)
    return _mapping_page(request, token, sheet, inventory_io.suggest_mapping(sheet.headers))


def _mapping_page(
    request: Request,
    token: str,
    sheet: inventory_io.Sheet,
    mapping: dict[str, str],
    status: int = 200,
    problems: list[Problem] | None = None,
) -> Response:
    return render(
        request,
        "catalog/import_map.html",
        {
            "token": token,
            "headers": sheet.headers,
            "sample": sheet.rows[:5],
            "row_count": len(sheet.rows),
            "targets": list(inventory_io.TARGETS),
            "target_labels": forms.TARGET_LABELS,
            "mapping": mapping,
            "problems": problems or [],
        },
        status_code=status,
    )


@router.post("/inventory/import/confirm")
async def import_confirm(
    request: Request, session: DbSession, actor: Editor, token: Annotated[str, Form()] = ""
) -> Response:
    """Step two: import with the mapping the person confirmed (the selects are read from the
    form itself because their names follow the import targets)."""
    mapping = forms.mapping_from_form(await request.form())
    return await run_in_threadpool(_import, request, session, actor, token, mapping)


def _import(
    request: Request, session: DbSession, actor: Actor, token: str, mapping: dict[str, str]
) -> Response:
    data_dir = get_settings(request).data_dir
    try:
        data = forms.load_upload(data_dir, token)
    except ValidationFailed as exc:
        return render(request, "catalog/import.html", {"problems": exc.problems}, status_code=422)
    sheet = inventory_io.read_sheet(data, token)
    return submit(
        session,
        lambda: inventory_io.import_inventory(session, actor, sheet, mapping),
        done=lambda counts: _imported(data_dir, token, *counts),
        again=lambda exc: _mapping_page(request, token, sheet, mapping, exc.status, exc.listed()),
    )


def _imported(data_dir: Path, token: str, created: int, updated: int) -> Response:
    forms.discard_upload(data_dir, token)
    return RedirectResponse(
        f"/catalog?notice=imported&created={created}&updated={updated}", status_code=303
    )


@router.get("/inventory/export.csv")
def export_inventory_csv(session: DbSession, actor: Viewer) -> Response:
    return forms.attachment(
        inventory_io.export_csv(session, actor), "text/csv; charset=utf-8", "inventory.csv"
    )


@router.get("/inventory/export.xlsx")
def export_inventory_xlsx(session: DbSession, actor: Viewer) -> Response:
    return forms.attachment(
        inventory_io.export_xlsx(session, actor), FORMATS["xlsx"].media_type, "inventory.xlsx"
    )


@router.get("/retention")
def retention_page(
    request: Request,
    session: DbSession,
    actor: Viewer,
    within: Annotated[int, Query(ge=0, le=3650)] = 90,
) -> Response:
    due = retention_due(session, actor, date.today(), within)
    return render(
        request, "catalog/retention.html", {"due": due, "within": within, "today": date.today()}
    )
