"""Datasets as the inventory sees them: listing, registering by hand, business attributes,
lifecycle and retention."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import DATASET_KINDS, LIFECYCLE, CatalogField, Dataset, Source
from accord.catalog.search import reindex_datasets
from accord.catalog.titles import TITLE_NONE, TITLE_STEWARD, TITLE_SUGGESTED, suggest_title
from accord.errors import NotFound, Problem, ValidationFailed


@dataclass(frozen=True)
class Inventory:
    """The business attributes of a dataset (Play 2). ``None`` leaves one unchanged."""

    title: str | None = None
    description: str | None = None
    program: str | None = None
    system: str | None = None
    vendor_managed: bool | None = None
    owner: str | None = None
    contacts: str | None = None
    related_programs: str | None = None
    objectives: str | None = None
    lifecycle: str | None = None
    lifecycle_since: date | None = None
    retention_months: int | None = None


INVENTORY_ATTRIBUTES = tuple(f.name for f in fields(Inventory))


@dataclass(frozen=True)
class DatasetRow:
    dataset: Dataset
    field_count: int


def list_datasets(
    session: Session,
    actor: Actor,
    *,
    program: str = "",
    lifecycle: str = "",
    source_id: int | None = None,
    include_removed: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> list[DatasetRow]:
    check(actor, Action.VIEW_CATALOG)
    counts = (
        select(CatalogField.dataset_id, func.count().label("n"))
        .where(CatalogField.removed_at.is_(None))
        .group_by(CatalogField.dataset_id)
        .subquery()
    )
    query = (
        select(Dataset, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.dataset_id == Dataset.id)
        .order_by(Dataset.program, Dataset.name)
        .limit(limit)
        .offset(offset)
    )
    if program:
        query = query.where(Dataset.program == program)
    if lifecycle:
        query = query.where(Dataset.lifecycle == lifecycle)
    if source_id is not None:
        query = query.where(Dataset.source_id == source_id)
    if not include_removed:
        query = query.where(Dataset.removed_at.is_(None))
    return [DatasetRow(d, int(n)) for d, n in session.execute(query)]


def get_dataset(session: Session, actor: Actor, dataset_id: int) -> Dataset:
    check(actor, Action.VIEW_CATALOG)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset {dataset_id}.")
    return dataset


def dataset_titles(session: Session, actor: Actor, dataset_ids: Iterable[int]) -> dict[int, str]:
    """Today's title of each dataset, for pages that name datasets from a record (a proposal's
    fields keep the technical name they had when requested)."""
    check(actor, Action.VIEW_CATALOG)
    ids = set(dataset_ids)
    if not ids:
        return {}
    query = select(Dataset.id, Dataset.title).where(Dataset.id.in_(ids), Dataset.title != "")
    return {i: t for i, t in session.execute(query)}


def find_dataset(session: Session, actor: Actor, name: str) -> Dataset:
    """By id, by ``source/name``, or by a name that is unique across sources."""
    check(actor, Action.VIEW_CATALOG)
    if name.isdigit():
        return get_dataset(session, actor, int(name))
    query = select(Dataset).where(Dataset.removed_at.is_(None))
    if "/" in name:
        source, _, rest = name.partition("/")
        query = query.join(Source).where(Source.name == source, Dataset.name == rest)
    else:
        query = query.where(Dataset.name == name)
    found = session.scalars(query.limit(2)).all()
    if not found:
        raise NotFound(f"No dataset named {name!r}.")
    if len(found) > 1:
        raise ValidationFailed(
            [Problem("dataset", f"{name!r} is in several sources: write SOURCE/NAME.")]
        )
    return found[0]


def dataset_fields(
    session: Session, actor: Actor, dataset_id: int, *, include_removed: bool = True
) -> list[CatalogField]:
    check(actor, Action.VIEW_CATALOG)
    query = select(CatalogField).where(CatalogField.dataset_id == dataset_id)
    if not include_removed:
        query = query.where(CatalogField.removed_at.is_(None))
    return list(
        session.scalars(
            query.order_by(
                CatalogField.removed_at.is_not(None), CatalogField.position, CatalogField.name
            )
        )
    )


def inventory_problems(change: Inventory) -> list[Problem]:
    problems = []
    if change.lifecycle is not None and change.lifecycle not in LIFECYCLE:
        problems.append(Problem("lifecycle", f"Choose one of: {', '.join(LIFECYCLE)}."))
    if change.retention_months is not None and not 0 <= change.retention_months <= 1200:
        problems.append(Problem("retention_months", "Give 0–1200 months."))
    if change.title is not None and len(change.title) > 300:
        problems.append(Problem("title", "Keep the title under 300 characters."))
    return problems


def _snapshot(d: Dataset) -> dict[str, object]:
    return {a: getattr(d, a) for a in INVENTORY_ATTRIBUTES}


def update_inventory(session: Session, actor: Actor, dataset_id: int, change: Inventory) -> Dataset:
    check(actor, Action.EDIT_INVENTORY)
    dataset = get_dataset(session, actor, dataset_id)
    problems = inventory_problems(change)
    if problems:
        raise ValidationFailed(problems)
    before = _snapshot(dataset)
    for attribute in INVENTORY_ATTRIBUTES:
        value = getattr(change, attribute)
        if value is not None and attribute != "title":
            setattr(dataset, attribute, value.strip() if isinstance(value, str) else value)
    _retitle(dataset, change.title, before)
    if (
        change.lifecycle is not None
        and change.lifecycle != before["lifecycle"]
        and (change.lifecycle_since is None)
    ):
        dataset.lifecycle_since = date.today()
    after = _snapshot(dataset)
    if after != before:
        audit.record(
            session, actor, "dataset.inventory", "dataset", dataset.id, before=before, after=after
        )
        reindex_datasets(session, [dataset.id])
    return dataset


def _retitle(dataset: Dataset, title: str | None, before: dict[str, object]) -> None:
    """A title a person writes is kept as written; an empty one hands the title back to
    Accord, whose suggestion follows the program until someone writes one."""
    if title is not None and title.strip() != before["title"]:
        dataset.title = title.strip()
        dataset.title_source = TITLE_STEWARD if dataset.title else TITLE_NONE
    if dataset.title_source != TITLE_STEWARD:
        dataset.title = suggest_title(dataset.name, dataset.source_comment, dataset.program)
        dataset.title_source = TITLE_SUGGESTED


def register_dataset(
    session: Session, actor: Actor, *, name: str, kind: str, change: Inventory = Inventory()
) -> Dataset:
    """Add a dataset no harvester finds (a report, an extract handed around, a vendor API)."""
    check(actor, Action.EDIT_INVENTORY)
    problems = inventory_problems(change)
    if not name.strip():
        problems.append(Problem("name", "Give the dataset a name."))
    if kind not in DATASET_KINDS:
        problems.append(Problem("kind", f"Choose one of: {', '.join(DATASET_KINDS)}."))
    if problems:
        raise ValidationFailed(problems)
    dataset = Dataset(name=name.strip(), kind=kind, lifecycle="active")
    session.add(dataset)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.register",
        "dataset",
        dataset.id,
        after={"name": dataset.name, "kind": kind},
    )
    return update_inventory(session, actor, dataset.id, change)


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


@dataclass(frozen=True)
class Due:
    dataset: Dataset
    due_on: date
    next_step: str


def retention_due(session: Session, actor: Actor, today: date, within_days: int = 90) -> list[Due]:
    """Datasets whose retention period ends within ``within_days``, soonest first."""
    check(actor, Action.VIEW_CATALOG)
    steps = {
        "active": "mark as archival candidate",
        "archival_candidate": "archive",
        "archived": "dispose and record the disposal",
    }
    query = select(Dataset).where(
        Dataset.retention_months.is_not(None),
        Dataset.lifecycle != "disposed",
        Dataset.removed_at.is_(None),
    )
    due = []
    for d in session.scalars(query):
        start = d.lifecycle_since or (d.harvested_at.date() if d.harvested_at else None)
        if start is None or d.retention_months is None:
            continue
        due_on = add_months(start, d.retention_months)
        if (due_on - today).days <= within_days:
            due.append(Due(d, due_on, steps[d.lifecycle]))
    return sorted(due, key=lambda x: (x.due_on, x.dataset.name))
