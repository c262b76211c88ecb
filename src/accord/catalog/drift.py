"""Merging a harvest into the catalog without losing what people wrote.

Technical facts (type, nullability, keys, source comments) follow the source; business
metadata (definitions people edited, classifications, statutes, glossary links) is kept.
Fields that appear, disappear or change type are flagged for review. Everything happens in
the caller's transaction, so a failed or cancelled harvest leaves the catalog as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.describing import DESCRIPTION, DescriptionState
from accord.catalog.harvest.model import Harvest, HarvestedDataset, HarvestedField
from accord.catalog.models import CatalogField, Dataset, FieldWork, Source
from accord.catalog.search import reindex_datasets
from accord.catalog.tagging import attach_declared_metadata
from accord.catalog.titles import TITLE_NONE, TITLE_SUGGESTED, suggest_title
from accord.db.base import utcnow
from accord.db.bulk import insert_rows

TECHNICAL = ("position", "data_type", "nullable", "primary_key", "foreign_key", "source_comment")


@dataclass
class DriftReport:
    first_harvest: bool = False
    datasets_added: list[str] = field(default_factory=list)
    datasets_removed: list[str] = field(default_factory=list)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_changed: list[str] = field(default_factory=list)
    datasets_total: int = 0
    fields_total: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def has_drift(self) -> bool:
        return (
            bool(
                self.datasets_added
                or self.datasets_removed
                or self.fields_added
                or self.fields_removed
                or self.fields_changed
            )
            and not self.first_harvest
        )

    def as_dict(self, limit: int = 200) -> dict[str, Any]:
        """Lists cut to ``limit`` entries so one harvest's audit entry stays readable."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, list) and len(value) > limit:
                data[key] = [*value[:limit], f"… and {len(value) - limit} more"]
        return data


def _technical(f: HarvestedField) -> dict[str, Any]:
    return {
        "position": f.position,
        "data_type": f.data_type,
        "nullable": f.nullable,
        "primary_key": f.primary_key,
        "foreign_key": f.foreign_key,
        "source_comment": f.comment,
    }


def _new_field(dataset_id: int, f: HarvestedField, *, flagged: bool) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "name": f.name,
        "label": "",
        "definition": f.comment,
        "valid_values": "",
        "standard_element": "",
        "tags": "",
        "drift_note": "",
        "drift": "added" if flagged else "",
        "review_needed": flagged,
        **_technical(f),
    }


def apply_harvest(session: Session, actor: Actor, source: Source, harvest: Harvest) -> DriftReport:
    """Merge ``harvest`` into the catalog datasets of ``source`` and report the drift."""
    check(actor, Action.HARVEST)
    now = utcnow()
    existing = {
        d.name: d for d in session.scalars(select(Dataset).where(Dataset.source_id == source.id))
    }
    report = DriftReport(first_harvest=not existing, warnings=list(harvest.warnings))
    old_fields = _fields_by_dataset(session, source.id)
    harvested = {d.name: d for d in harvest.datasets}
    new_ids = _insert_datasets(
        session, source, [d for d in harvest.datasets if d.name not in existing], now
    )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for name, h in harvested.items():
        if name in new_ids:
            if not report.first_harvest:
                report.datasets_added.append(name)
            inserts += [
                _new_field(new_ids[name], f, flagged=not report.first_harvest) for f in h.fields
            ]
            continue
        dataset = existing[name]
        _refresh_dataset(dataset, h, now)
        _diff_fields(dataset, h, old_fields[dataset.id], inserts, updates, report, now)
    for name, dataset in existing.items():
        if name not in harvested and dataset.removed_at is None:
            dataset.removed_at = now
            report.datasets_removed.append(name)
            for old in old_fields[dataset.id].values():
                if old["removed_at"] is None:
                    updates.append(_removed(old, now))
                    report.fields_removed.append(f"{name}.{old['name']}")
    if inserts:
        insert_rows(session.connection(), CatalogField, inserts)
    if updates:
        session.execute(update(CatalogField), updates)
        _reopen(session, actor, [u["id"] for u in updates if "definition" in u])
    session.flush()
    all_ids = [*new_ids.values(), *(d.id for d in existing.values())]
    report.warnings += attach_declared_metadata(session, actor, harvest, source.id)
    reindex_datasets(session, all_ids)
    report.datasets_total = len(harvested)
    report.fields_total = sum(len(d.fields) for d in harvest.datasets)
    source.last_harvest_at = now
    audit.record(session, actor, "source.harvest", "source", source.id, after=report.as_dict())
    return report


def _fields_by_dataset(session: Session, source_id: int) -> dict[int, dict[str, dict[str, Any]]]:
    columns = [
        CatalogField.id,
        CatalogField.dataset_id,
        CatalogField.name,
        CatalogField.definition,
        CatalogField.removed_at,
        *(getattr(CatalogField, c) for c in TECHNICAL),
    ]
    query = select(*columns).join(Dataset).where(Dataset.source_id == source_id)
    found: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in session.execute(query).mappings():
        found[row["dataset_id"]][row["name"]] = dict(row)
    return found


def _insert_datasets(
    session: Session, source: Source, new: list[HarvestedDataset], now: datetime
) -> dict[str, int]:
    if not new:
        return {}
    rows = [
        {
            "source_id": source.id,
            "name": d.name,
            "kind": d.kind,
            "schema_name": d.schema,
            "description": d.comment,
            "source_comment": d.comment,
            "row_count": d.row_count,
            "harvested_at": now,
            "lifecycle": "active",
            "title": suggest_title(d.name, d.comment),
            "title_source": TITLE_SUGGESTED,
            "program": "",
            "system": "",
            "owner": "",
            "contacts": "",
            "related_programs": "",
            "objectives": "",
        }
        for d in new
    ]
    # No RETURNING: SQLite would then insert row by row; one SELECT afterwards is cheaper.
    insert_rows(session.connection(), Dataset, rows)
    names = {d.name for d in new}
    found = session.execute(
        select(Dataset.id, Dataset.name).where(Dataset.source_id == source.id)
    ).all()
    return {name: id_ for id_, name in found if name in names}


def _refresh_dataset(dataset: Dataset, h: HarvestedDataset, now: datetime) -> None:
    if dataset.description in ("", dataset.source_comment):
        dataset.description = h.comment
    dataset.kind, dataset.schema_name, dataset.source_comment = h.kind, h.schema, h.comment
    dataset.row_count, dataset.harvested_at, dataset.removed_at = h.row_count, now, None
    if dataset.title_source == TITLE_NONE and not dataset.title:
        # first sight of a dataset registered before titles: fill, never overwrite
        dataset.title = suggest_title(dataset.name, h.comment, dataset.program)
        dataset.title_source = TITLE_SUGGESTED


def _diff_fields(
    dataset: Dataset,
    h: HarvestedDataset,
    old: dict[str, dict[str, Any]],
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    report: DriftReport,
    now: datetime,
) -> None:
    seen = set()
    for f in h.fields:
        seen.add(f.name)
        before = old.get(f.name)
        if before is None:
            inserts.append(_new_field(dataset.id, f, flagged=True))
            report.fields_added.append(f"{dataset.name}.{f.name}")
            continue
        technical = _technical(f)
        change = {k: v for k, v in technical.items() if before[k] != v}
        if before["removed_at"] is not None:
            change.update(
                removed_at=None, drift="added", review_needed=True, drift_note="reappeared"
            )
            report.fields_added.append(f"{dataset.name}.{f.name}")
        notes = [
            f"type {before['data_type']} → {f.data_type}"
            if k == "data_type"
            else f"{'nullable' if f.nullable else 'not nullable'} (was "
            f"{'nullable' if before['nullable'] else 'not nullable'})"
            for k in ("data_type", "nullable")
            if k in change
        ]
        if notes:
            change.update(drift="changed", drift_note="; ".join(notes), review_needed=True)
            report.fields_changed.append(f"{dataset.name}.{f.name}: {'; '.join(notes)}")
        if "source_comment" in change and before["definition"] in ("", before["source_comment"]):
            change["definition"] = f.comment  # nobody edited it: follow the source
        if change:
            updates.append({"id": before["id"], **change})
    for name, before in old.items():
        if name not in seen and before["removed_at"] is None:
            updates.append(_removed(before, now))
            report.fields_removed.append(f"{dataset.name}.{name}")


def _reopen(session: Session, actor: Actor, field_ids: list[int]) -> None:
    """A definition that followed its source's changed comment is new text: like an edit, it
    reopens a description in review or published, so it is reviewed before other departments
    read it (they go on reading the published text meanwhile)."""
    for chunk in (field_ids[i : i + 500] for i in range(0, len(field_ids), 500)):
        for work in session.scalars(
            select(FieldWork).where(
                FieldWork.field_id.in_(chunk), FieldWork.status != DescriptionState.DRAFT
            )
        ):
            state = DescriptionState(work.status)
            DESCRIPTION.set_state(work, DescriptionState.DRAFT)
            DESCRIPTION.record(
                session,
                work.field_id,
                "reopen",
                state,
                actor.username,
                "the comment in the source changed, and the definition with it",
            )


def _removed(before: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": before["id"],
        "removed_at": now,
        "drift": "removed",
        "review_needed": True,
        "drift_note": "no longer in the source",
    }
