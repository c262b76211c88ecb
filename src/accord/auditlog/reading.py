"""Reading the audit log: filtered, paged, named, and exported as CSV.

A page of entries costs one query for the entries and one per kind of record they point at
(fields, datasets, users…), never one per entry.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from accord.auditlog.words import in_words
from accord.auth.actor import Actor
from accord.auth.models import ApiToken, AuditEntry, Department, GroupRole, User
from accord.auth.permissions import Action, check
from accord.catalog.models import CatalogField, Dataset, GlossaryTerm, Source, Statute
from accord.csv_cells import safe_row
from accord.fulfillment.models import Delivery, DeliverySchedule, Destination, FulfillmentRun
from accord.proposals.models import Agreement, Proposal
from accord.releases.models import TableRelease

PAGE = 50
EXPORT_BATCH = 2_000
EXPORT_LIMIT = 200_000  # a bigger extract is the database administrator's job


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; an empty value filters nothing."""

    person: str = ""  # the acting username
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None  # UTC days, both ends included
    until: date | None = None

    def query_string(self) -> str:
        pairs = [
            ("person", self.person),
            ("action", self.action),
            ("object_type", self.object_type),
            ("object_id", self.object_id),
            ("since", self.since.isoformat() if self.since else ""),
            ("until", self.until.isoformat() if self.until else ""),
        ]
        return urlencode([(k, v) for k, v in pairs if v])

    @property
    def active(self) -> bool:
        return bool(self.query_string())


@dataclass(frozen=True)
class Named:
    """A record as a person reads it: its name and where to see it (if anywhere)."""

    name: str
    href: str = ""


@dataclass(frozen=True)
class EntryView:
    seq: int
    at: datetime
    person: str  # username ("system" for the installation itself)
    person_name: str  # "Sky Security", or the username when nobody has that name
    action: str
    words: str
    object_type: str
    object_id: str
    object: Named
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AuditPage:
    entries: list[EntryView]
    older: int | None  # the ``before`` of the next page, if there is one


@dataclass(frozen=True)
class Choices:
    people: list[tuple[str, str]]  # (username, full name)
    actions: list[tuple[str, str]]  # (action, words)
    object_types: list[str]


def _filtered(query: Select[AuditEntry], f: AuditFilter) -> Select[AuditEntry]:
    if f.person:
        query = query.where(AuditEntry.actor == f.person)
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.object_type:
        query = query.where(AuditEntry.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEntry.object_id == f.object_id)
    if f.since:
        query = query.where(AuditEntry.at >= datetime.combine(f.since, time.min, tzinfo=UTC))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(AuditEntry.at < end)
    return query


def read_log(
    session: Session, actor: Actor, f: AuditFilter, *, before: int | None = None
) -> AuditPage:
    """One page of matching entries, newest first, with names for people and records."""
    check(actor, Action.VIEW_AUDIT)
    query = _filtered(select(AuditEntry), f).order_by(AuditEntry.seq.desc()).limit(PAGE + 1)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    rows = list(session.scalars(query))
    shown = rows[:PAGE]
    older = shown[-1].seq if len(rows) > PAGE else None
    return AuditPage(_views(session, shown), older)


def export_csv(session: Session, actor: Actor, f: AuditFilter) -> str:
    """The matching entries as CSV, oldest first (at most ``EXPORT_LIMIT``); every cell is
    safe to open in a spreadsheet (``accord.csv_cells``)."""
    check(actor, Action.VIEW_AUDIT)
    return "".join(_csv_chunks(session, f))


def _csv_chunks(session: Session, f: AuditFilter) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["seq", "at_utc", "person", "person_name", "action", "in_words", "object_type",
         "object_id", "object", "before", "after"]
    )  # fmt: skip
    last, written = 0, 0
    while written < EXPORT_LIMIT:
        query = _filtered(select(AuditEntry), f).where(AuditEntry.seq > last)
        rows = list(session.scalars(query.order_by(AuditEntry.seq).limit(EXPORT_BATCH)))
        if not rows:
            break
        for v in _views(session, rows):
            writer.writerow(
                safe_row(
                    [
                        v.seq,
                        v.at.isoformat(timespec="seconds"),
                        v.person,
                        v.person_name,
                        v.action,
                        v.words,
                        v.object_type,
                        v.object_id,
                        v.object.name,
                        v.before or "",
                        v.after or "",
                    ]
                )
            )
        last, written = rows[-1].seq, written + len(rows)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def filter_choices(session: Session, actor: Actor) -> Choices:
    """What the filters offer: every user, and the actions and kinds of record in the log."""
    check(actor, Action.VIEW_AUDIT)
    people = [
        (u, n)
        for u, n in session.execute(select(User.username, User.full_name).order_by(User.username))
    ]
    actions = sorted(session.scalars(select(AuditEntry.action).distinct()))
    types = sorted(session.scalars(select(AuditEntry.object_type).distinct()))
    return Choices(
        [*people, ("system", "the installation (seeding, set-up)")],
        sorted(((a, in_words(a)) for a in actions), key=lambda p: p[1]),
        types,
    )


def _views(session: Session, entries: list[AuditEntry]) -> list[EntryView]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        wanted[e.object_type].add(e.object_id)
    names: dict[tuple[str, str], Named] = {}
    for kind, ids in wanted.items():
        namer = NAMERS.get(kind)
        if namer is not None:
            numeric = {int(i) for i in ids if i.isdigit()}
            names.update({(kind, k): v for k, v in namer(session, numeric, ids).items()})
    people = {
        u: n
        for u, n in session.execute(
            select(User.username, User.full_name).where(
                User.username.in_({e.actor for e in entries})
            )
        )
    }
    return [
        EntryView(
            e.seq,
            e.at,
            e.actor,
            people.get(e.actor, e.actor),
            e.action,
            in_words(e.action),
            e.object_type,
            e.object_id,
            names.get((e.object_type, e.object_id)) or _unnamed(e.object_type, e.object_id),
            e.before,
            e.after,
        )
        for e in entries
    ]


def _unnamed(kind: str, object_id: str) -> Named:
    label = kind.replace("_", " ")
    if "," in object_id:
        return Named(f"{object_id.count(',') + 1} {label}s")
    return Named(f"{label} {object_id} (no longer present)" if object_id.isdigit() else object_id)


Namer = Callable[[Session, set[int], set[str]], dict[str, Named]]


def _fields(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
    rows = session.execute(
        select(CatalogField.id, Dataset.name, CatalogField.name)
        .join(Dataset, CatalogField.dataset_id == Dataset.id)
        .where(CatalogField.id.in_(ids))
    )
    return {str(i): Named(f"{d}.{f}", f"/catalog/fields/{i}") for i, d, f in rows}


def _datasets(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
    rows = session.execute(
        select(Dataset.id, Dataset.title, Dataset.name).where(Dataset.id.in_(ids))
    )
    return {str(i): Named(t or n, f"/catalog/datasets/{i}") for i, t, n in rows}


def _sources(session: Session, ids: set[int], keys: set[str]) -> dict[str, Named]:
    # entries name a source by id, or by name (the classifier's runs)
    rows = session.execute(
        select(Source.id, Source.name).where(Source.id.in_(ids) | Source.name.in_(keys))
    )
    found: dict[str, Named] = {}
    for i, n in rows:
        found[str(i)] = found[n] = Named(n, f"/catalog/sources/{n}")
    return found


def _users(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
    rows = session.execute(select(User.id, User.username, User.full_name).where(User.id.in_(ids)))
    return {
        str(i): Named(f"{f} ({u})", f"/audit?object_type=user&object_id={i}") for i, u, f in rows
    }


def _proposals(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
    return {
        str(p.id): Named(p.title, f"/proposals/{p.id}")
        for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))
    }


def _agreements(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
    rows = session.execute(
        select(Agreement.id, Agreement.use_case_name, Agreement.proposal_id).where(
            Agreement.id.in_(ids)
        )
    )
    return {str(i): Named(f"Agreement: {n}", f"/proposals/{p}") for i, n, p in rows}


def _simple(
    name_of: Callable[[Session, set[int]], Iterable[tuple[int, str]]], href: str = ""
) -> Namer:
    def namer(session: Session, ids: set[int], _: set[str]) -> dict[str, Named]:
        return {str(i): Named(n, href.format(id=i)) for i, n in name_of(session, ids)}

    return namer


def _statute_names(session: Session, ids: set[int]) -> Iterable[tuple[int, str]]:
    return ((s.id, s.citation) for s in session.scalars(select(Statute).where(Statute.id.in_(ids))))


NAMERS: dict[str, Namer] = {
    "field": _fields,
    "dataset": _datasets,
    "source": _sources,
    "user": _users,
    "proposal": _proposals,
    "agreement": _agreements,
    "statute": _simple(_statute_names, "/catalog/statutes"),
    "glossary_term": _simple(
        lambda s, ids: s.execute(
            select(GlossaryTerm.id, GlossaryTerm.term).where(GlossaryTerm.id.in_(ids))
        ).all(),
        "/catalog/glossary",
    ),
    "fulfillment_run": _simple(
        lambda s, ids: (
            (i, f"Fulfillment run {i}")
            for i in s.scalars(select(FulfillmentRun.id).where(FulfillmentRun.id.in_(ids)))
        ),
    ),
    "delivery": _simple(
        lambda s, ids: s.execute(
            select(Delivery.id, Delivery.recipient).where(Delivery.id.in_(ids))
        ).all(),
    ),
    "delivery_schedule": _simple(
        lambda s, ids: (
            (i, f"Scheduled deliveries: {name}")
            for i, name in s.execute(
                select(DeliverySchedule.id, Agreement.use_case_name)
                .join(Agreement, Agreement.id == DeliverySchedule.agreement_id)
                .where(DeliverySchedule.id.in_(ids))
            )
        ),
    ),
    "destination": _simple(
        lambda s, ids: s.execute(
            select(Destination.id, Destination.name).where(Destination.id.in_(ids))
        ).all(),
    ),
    "deid_release": _simple(
        lambda s, ids: s.execute(
            select(TableRelease.id, TableRelease.table_name).where(TableRelease.id.in_(ids))
        ).all(),
        "/deid/releases/{id}",
    ),
    "department": _simple(
        lambda s, ids: s.execute(
            select(Department.id, Department.name).where(Department.id.in_(ids))
        ).all()
    ),
    "group_role": _simple(
        lambda s, ids: (
            (g.id, f"{g.provider} group {g.group_name}: {g.role}")
            for g in s.scalars(select(GroupRole).where(GroupRole.id.in_(ids)))
        ),
        "/admin/group-roles",
    ),
    "api_token": _simple(
        lambda s, ids: s.execute(
            select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids))
        ).all()
    ),
}
