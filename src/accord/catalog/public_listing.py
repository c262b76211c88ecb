"""The public request-data page (MISSION.md, play 7): what anyone, signed in or not, may learn
of the data the department shares, so that a program or researcher knows what to ask for.

The public is the third audience (issue 15, item 5), and reads less than other departments:
only datasets someone who edits the inventory chose to list, only while they can still be
requested (active, or a candidate for archiving), and of each only its title, program,
business description and which families of protected information it holds (what decides
the legal authority a request needs). Never a field, a definition, a source or a person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.auth.departments import home_department_id
from accord.auth.models import Department
from accord.catalog.datasets import matches_text
from accord.catalog.models import CatalogField, Dataset, FieldClassification

PAGE_SIZE = 50
REQUESTABLE = ("active", "archival_candidate")
# classification families, as the page names them (codes are "PII", "PII:ssn", ...)
FAMILY_WORDS = {
    "PII": "personal information",
    "PHI": "health information",
    "SENSITIVE": "other sensitive information",
}


@dataclass(frozen=True)
class ListedDataset:
    id: int
    title: str
    program: str
    kind: str
    description: str
    holds: tuple[str, ...]  # words of FAMILY_WORDS, in that order


@dataclass(frozen=True)
class PublicListing:
    department: str  # "" before any department is set up
    datasets: list[ListedDataset]
    programs: list[str]  # every program with a listed dataset, for the filter
    more: bool


def _listed() -> list[ColumnElement[bool]]:
    return [
        Dataset.listed_publicly.is_(True),
        Dataset.removed_at.is_(None),
        Dataset.lifecycle.in_(REQUESTABLE),
    ]


def public_listing(
    session: Session, *, text: str = "", program: str = "", page: int = 1
) -> PublicListing:
    """One page of listed datasets by program and title, matching ``text`` (in the title,
    name or description) and ``program`` when given."""
    conditions = _listed()
    if text.strip():
        conditions.append(matches_text(text.strip()))
    if program.strip():
        conditions.append(Dataset.program == program.strip())
    title = func.coalesce(func.nullif(Dataset.title, ""), Dataset.name)
    rows = session.execute(
        select(Dataset.id, title, Dataset.program, Dataset.kind, Dataset.description)
        .where(*conditions)
        .order_by(Dataset.program == "", Dataset.program, func.lower(title), Dataset.id)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    shown = rows[:PAGE_SIZE]
    holds = _families(session, [r.id for r in shown])
    return PublicListing(
        department=_department_name(session),
        datasets=[
            ListedDataset(r.id, r[1], r.program, r.kind, r.description, holds.get(r.id, ()))
            for r in shown
        ],
        programs=_programs(session),
        more=len(rows) > PAGE_SIZE,
    )


def _families(session: Session, dataset_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Per dataset, the families its current fields are classified in."""
    if not dataset_ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(CatalogField.dataset_id, FieldClassification.code)
        .join(FieldClassification, FieldClassification.field_id == CatalogField.id)
        .where(CatalogField.dataset_id.in_(dataset_ids), CatalogField.removed_at.is_(None))
        .distinct()
    )
    for dataset_id, code in rows:
        found[dataset_id].add(code.split(":", 1)[0])
    return {
        d: tuple(words for family, words in FAMILY_WORDS.items() if family in families)
        for d, families in found.items()
    }


def _programs(session: Session) -> list[str]:
    query = select(Dataset.program).where(*_listed(), Dataset.program != "").distinct()
    return sorted(session.scalars(query), key=str.casefold)


def _department_name(session: Session) -> str:
    home = home_department_id(session)
    name = session.scalar(select(Department.name).where(Department.id == home))
    return name or ""
