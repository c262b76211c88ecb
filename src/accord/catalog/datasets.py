"""Datasets as the inventory sees them: listing, registering by hand, business attributes,
lifecycle and retention."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    SQLColumnExpression,
    Subquery,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import (
    DATASET_KINDS,
    LIFECYCLE,
    CatalogField,
    Dataset,
    FieldClassification,
    FieldStatute,
    FieldWork,
    Source,
)
from accord.catalog.published import as_read_by, has_definition, reads_drafts
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
    listed_publicly: bool | None = None


INVENTORY_ATTRIBUTES = tuple(f.name for f in fields(Inventory))


@dataclass(frozen=True)
class DatasetRow:
    dataset: Dataset
    field_count: int


# How the list can be ordered: key -> words for the page. "completeness" is the mean of the
# shares of current fields defined, classified and statute-checked (``Completeness.overall``).
SORTS = {
    "name": "Title",
    "program": "Program",
    "completeness": "How complete",
    "harvested": "Last harvest",
}
# Classification families a dataset can be filtered on: it has at least one current field
# classified in the family; "none" is a dataset with no field in any of them.
FAMILIES = {"PII": "PII", "PHI": "PHI", "SENSITIVE": "Sensitive", "none": "None of these"}


@dataclass(frozen=True)
class DatasetFilter:
    """What the catalog list shows and in which order; every field narrows or orders in SQL."""

    text: str = ""  # words in the title, technical name or description, any case
    program: str = ""
    family: str = ""  # a key of FAMILIES, or "" for any
    lifecycle: str = ""
    source_id: int | None = None
    include_removed: bool = False
    sort: str = ""  # a key of SORTS; "" keeps program then name
    descending: bool = False

    def problems(self) -> list[Problem]:
        found = []
        if self.sort and self.sort not in SORTS:
            found.append(Problem("sort", f"Sort by one of: {', '.join(SORTS)}."))
        if self.family and self.family not in FAMILIES:
            found.append(Problem("family", f"Choose one of: {', '.join(FAMILIES)}."))
        if self.lifecycle and self.lifecycle not in LIFECYCLE:
            found.append(Problem("lifecycle", f"Choose one of: {', '.join(LIFECYCLE)}."))
        if len(self.text) > 200:
            found.append(Problem("q", "Keep the search under 200 characters."))
        return found


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
    where: DatasetFilter | None = None,
) -> list[DatasetRow]:
    """One page of datasets with their current field counts, filtered and sorted in SQL.

    ``where`` carries the list page's search, filters and order; the keyword filters are the
    older spelling of the same and are used when ``where`` is not given. Raises
    ``ValidationFailed`` for an unknown sort key, family or lifecycle status.
    """
    if where is None:
        where = DatasetFilter(
            program=program,
            lifecycle=lifecycle,
            source_id=source_id,
            include_removed=include_removed,
        )
    query, params = _page_of(actor, where, "datasets", limit, offset)
    return [DatasetRow(d, int(n)) for d, n in session.execute(query, params)]


@dataclass(frozen=True, slots=True)
class DatasetListing:
    """What the catalog list shows of a dataset: a row of plain values, since loading whole
    datasets (and their sources) cost more than the rest of that page together."""

    id: int
    name: str
    title: str
    kind: str
    program: str
    lifecycle: str
    harvested_at: datetime | None
    removed_at: datetime | None
    source_name: str | None
    field_count: int


def browse_datasets(
    session: Session, actor: Actor, where: DatasetFilter, *, limit: int, offset: int = 0
) -> list[DatasetListing]:
    """``list_datasets`` for the catalog page: the same datasets in the same order, as
    ``DatasetListing`` rows."""
    query, params = _page_of(actor, where, "listings", limit, offset)
    return [DatasetListing(*row) for row in session.execute(query, params)]


def _page_of(
    actor: Actor, where: DatasetFilter, selected: Selected, limit: int, offset: int
) -> tuple[Select[Any], dict[str, object]]:
    """The page's statement and its parameters. The statement depends only on which filters
    are set, not on their values, so it is built once per combination (``_page_statement``):
    building it anew cost more than SQLite took to run it."""
    check(actor, Action.VIEW_CATALOG)
    problems = where.problems()
    if problems:
        raise ValidationFailed(problems)
    params: dict[str, object] = {"limit": limit, "offset": offset}
    text, program = where.text.strip(), where.program.strip()
    if text:
        params["pattern"] = _like_pattern(text)
    if program:
        params["program"] = program
    if where.lifecycle:
        params["lifecycle"] = where.lifecycle
    if where.source_id is not None:
        params["source_id"] = where.source_id
    shape = replace(
        where,
        text="?" if text else "",
        program="?" if program else "",
        lifecycle="?" if where.lifecycle else "",
        source_id=0 if where.source_id is not None else None,
    )
    return _page_statement(not reads_drafts(actor), selected, shape), params


Selected = Literal["datasets", "listings"]


@cache
def _page_statement(published: bool, selected: Selected, shape: DatasetFilter) -> Select[Any]:
    counts = _field_counts(published)
    columns: tuple[Any, ...] = (
        (Dataset,)
        if selected == "datasets"
        else (
            Dataset.id,
            Dataset.name,
            Dataset.title,
            Dataset.kind,
            Dataset.program,
            Dataset.lifecycle,
            Dataset.harvested_at,
            Dataset.removed_at,
            Source.name,
        )
    )
    query = select(*columns, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.dataset_id == Dataset.id
    )
    if selected == "listings":
        query = query.outerjoin(Source, Source.id == Dataset.source_id)
    return (
        query.where(*_conditions(shape))
        .order_by(*_order(shape, counts))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def list_programs(session: Session, actor: Actor, *, include_removed: bool = False) -> list[str]:
    """The programs datasets belong to, each once, alphabetically (for the list's filter)."""
    check(actor, Action.VIEW_CATALOG)
    query = _PROGRAMS if include_removed else _CURRENT_PROGRAMS
    return sorted(session.scalars(query), key=str.casefold)


_PROGRAMS = select(Dataset.program).where(Dataset.program != "").distinct()
_CURRENT_PROGRAMS = _PROGRAMS.where(Dataset.removed_at.is_(None))


@cache
def _field_counts(published: bool) -> Subquery:
    """Per dataset: current fields, and how many are defined, classified, statute-checked.
    Built once per audience (every catalog list runs it): other departments' completeness
    counts published definitions, or its order would tell them where drafts are."""
    defined = has_definition(published)
    classified = exists().where(FieldClassification.field_id == CatalogField.id)
    cited = exists().where(FieldStatute.field_id == CatalogField.id)
    checked = exists().where(FieldWork.field_id == CatalogField.id, FieldWork.statute_checked)
    described = cast(defined, Integer) + cast(classified, Integer) + cast(cited | checked, Integer)
    return (
        select(
            CatalogField.dataset_id,
            func.count().label("n"),
            func.sum(described).label("described"),
        )
        .where(CatalogField.removed_at.is_(None))
        .group_by(CatalogField.dataset_id)
        .subquery()
    )


def matches_text(words: str) -> ColumnElement[bool]:
    """The dataset's title, technical name or description holds ``words`` literally, in any
    case (% and _ are not wildcards here): the catalog list's search and the public page's."""
    return _matches(_like_pattern(words))


def _like_pattern(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(pattern: str | BindParameter[str]) -> ColumnElement[bool]:
    return or_(
        Dataset.title.ilike(pattern, escape="\\"),
        Dataset.name.ilike(pattern, escape="\\"),
        Dataset.description.ilike(pattern, escape="\\"),
    )


def _in_family(family: str) -> ColumnElement[bool]:
    """The dataset has a current field classified ``family`` or one of its sub-types."""
    return exists().where(
        CatalogField.dataset_id == Dataset.id,
        CatalogField.removed_at.is_(None),
        FieldClassification.field_id == CatalogField.id,
        or_(
            FieldClassification.code == family,
            FieldClassification.code.startswith(f"{family}:", autoescape=True),
        ),
    )


def _conditions(shape: DatasetFilter) -> list[ColumnElement[bool]]:
    """WHERE terms for the filters ``shape`` sets; their values are bound parameters."""
    found: list[ColumnElement[bool]] = []
    if shape.text:
        found.append(_matches(bindparam("pattern")))
    if shape.program:
        found.append(Dataset.program == bindparam("program"))
    if shape.family == "none":
        found.extend(~_in_family(f) for f in FAMILIES if f != "none")
    elif shape.family:
        found.append(_in_family(shape.family))
    if shape.lifecycle:
        found.append(Dataset.lifecycle == bindparam("lifecycle"))
    if shape.source_id is not None:
        found.append(Dataset.source_id == bindparam("source_id"))
    if not shape.include_removed:
        found.append(Dataset.removed_at.is_(None))
    return found


def _order(where: DatasetFilter, counts: Subquery) -> list[SQLColumnExpression[Any]]:
    """ORDER BY terms: the chosen key, ascending or descending, with datasets that have no
    value for it (no program, no fields, never harvested) last either way, then the title
    and the id so that pages never overlap."""
    title = func.lower(func.coalesce(func.nullif(Dataset.title, ""), Dataset.name))
    if not where.sort:
        return [Dataset.program, Dataset.name, Dataset.id]
    key: SQLColumnExpression[Any] = {
        "name": title,
        "program": func.lower(func.nullif(Dataset.program, "")),
        "completeness": cast(counts.c.described, Float) / (3 * func.nullif(counts.c.n, 0)),
        "harvested": Dataset.harvested_at,
    }[where.sort]
    ordered = key.desc() if where.descending else key.asc()
    # "IS NULL" sorts the missing last on both backends (SQLite puts NULL first, PostgreSQL
    # last, and each flips with DESC)
    return [key.is_(None), ordered, title, Dataset.id]


def get_dataset(session: Session, actor: Actor, dataset_id: int) -> Dataset:
    check(actor, Action.VIEW_CATALOG)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset {dataset_id}.")
    return dataset


def datasets_by_id(
    session: Session, actor: Actor, dataset_ids: Iterable[int | None]
) -> dict[int, Dataset]:
    """The datasets records name, in one query (a list of releases names many); ids that name
    none are left out."""
    check(actor, Action.VIEW_CATALOG)
    ids = {i for i in dataset_ids if i is not None}
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}


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
    """The fields as the actor may read them (see ``published``): for reading, not changing."""
    check(actor, Action.VIEW_CATALOG)
    query = _ALL_FIELDS if include_removed else _CURRENT_FIELDS
    return as_read_by(session, actor, list(session.scalars(query, {"dataset_id": dataset_id})))


# built once, like the list's statements (every dataset page runs one)
_ALL_FIELDS = (
    select(CatalogField)
    .where(CatalogField.dataset_id == bindparam("dataset_id"))
    .order_by(CatalogField.removed_at.is_not(None), CatalogField.position, CatalogField.name)
)
_CURRENT_FIELDS = _ALL_FIELDS.where(CatalogField.removed_at.is_(None))


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
        reindex_datasets(session, [dataset.id])
        audit.record(  # last: it locks the audit head until the commit
            session, actor, "dataset.inventory", "dataset", dataset.id, before=before, after=after
        )
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
