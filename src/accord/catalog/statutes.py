"""The statute library, citing statutes on fields, and the roll-up of restrictions.

A citation is written the way lawyers write it: ``WIC 10850(a)(1)``, ``HSC § 121025``,
``45 CFR 164.514(b)(2)``: code, section, then optional subdivision and paragraph.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.fields import field_classifications, vocabulary
from accord.catalog.models import (
    CatalogField,
    Dataset,
    FieldStatute,
    Statute,
)
from accord.catalog.search import reindex_datasets
from accord.errors import Conflict, NotFound, Problem, ValidationFailed

CITATION = re.compile(
    r"^(?P<code>[A-Za-z0-9 .]+?)\s*§?\s+(?P<section>\d[\d.]*[A-Za-z]?)"
    r"(?:\((?P<subdivision>[^()]+)\))?(?:\((?P<paragraph>[^()]+)\))?$"
)


@dataclass(frozen=True)
class Citation:
    code: str
    section: str
    subdivision: str = ""
    paragraph: str = ""


def parse_citation(text: str) -> Citation:
    match = CITATION.match(" ".join(text.replace("§", " § ").split()))
    if not match:
        raise ValidationFailed(
            [Problem("citation", f"{text!r} is not a citation like 'WIC 10850(a)(1)'.")]
        )
    return Citation(
        match["code"].strip().upper(),
        match["section"],
        match["subdivision"] or "",
        match["paragraph"] or "",
    )


def find_statute(session: Session, citation: Citation) -> Statute | None:
    return session.scalar(
        select(Statute).where(
            Statute.code == citation.code,
            Statute.section == citation.section,
            Statute.subdivision == citation.subdivision,
            Statute.paragraph == citation.paragraph,
        )
    )


def add_statute(
    session: Session, actor: Actor, citation: str, *, title: str = "", url: str = ""
) -> Statute:
    check(actor, Action.CITE_STATUTES)
    parsed = parse_citation(citation)
    if url and not url.startswith(("https://", "http://")):
        raise ValidationFailed([Problem("url", "Give a web address starting with https://.")])
    if find_statute(session, parsed):
        raise Conflict(f"{citation} is already in the library.")
    statute = Statute(
        code=parsed.code,
        section=parsed.section,
        subdivision=parsed.subdivision,
        paragraph=parsed.paragraph,
        title=title.strip(),
        url=url.strip(),
    )
    session.add(statute)
    session.flush()
    audit.record(
        session,
        actor,
        "statute.add",
        "statute",
        statute.id,
        after={"citation": statute.citation, "title": statute.title, "url": statute.url},
    )
    return statute


def get_or_add_statute(session: Session, actor: Actor, citation: str) -> Statute:
    existing = find_statute(session, parse_citation(citation))
    return existing if existing is not None else add_statute(session, actor, citation)


def list_statutes(session: Session, actor: Actor) -> list[Statute]:
    check(actor, Action.VIEW_CATALOG)
    return list(
        session.scalars(
            select(Statute).order_by(Statute.code, Statute.section, Statute.subdivision)
        )
    )


def set_field_statutes(
    session: Session, actor: Actor, field_id: int, citations: list[str]
) -> list[Statute]:
    """Replace the statutes cited on one field (all parsed first: a bad one changes nothing)."""
    check(actor, Action.CITE_STATUTES)
    target = session.get(CatalogField, field_id)
    if target is None:
        raise NotFound(f"No field {field_id}.")
    problems: list[Problem] = []
    parsed = []
    for text in citations:
        try:
            parsed.append(parse_citation(text))
        except ValidationFailed as exc:
            problems += exc.problems
    if problems:
        raise ValidationFailed(problems)
    statutes = [find_statute(session, c) or add_statute(session, actor, _format(c)) for c in parsed]
    before = sorted(s.citation for s in field_statutes(session, [field_id])[field_id])
    session.execute(delete(FieldStatute).where(FieldStatute.field_id == field_id))
    for statute in {s.id: s for s in statutes}.values():
        session.add(FieldStatute(field_id=field_id, statute_id=statute.id))
    session.flush()
    audit.record(
        session,
        actor,
        "field.statutes",
        "field",
        field_id,
        before=before,
        after=sorted(s.citation for s in statutes),
    )
    reindex_datasets(session, [target.dataset_id])
    return statutes


def _format(c: Citation) -> str:
    sub = f"({c.subdivision})" if c.subdivision else ""
    par = f"({c.paragraph})" if c.paragraph else ""
    return f"{c.code} {c.section}{sub}{par}"


def field_statutes(session: Session, field_ids: list[int]) -> dict[int, list[Statute]]:
    found: dict[int, list[Statute]] = defaultdict(list)
    if field_ids:
        for field_id, statute in session.execute(_FIELD_STATUTES, {"ids": field_ids}):
            found[field_id].append(statute)
    return found


# built once (every dataset and field page runs it; see catalog.fields._CLASSIFICATIONS)
_FIELD_STATUTES = (
    select(FieldStatute.field_id, Statute)
    .join(Statute)
    .where(FieldStatute.field_id.in_(bindparam("ids", expanding=True)))
)


def statute_titles(session: Session, citations: list[str]) -> dict[str, str]:
    """Citation as written on a field ("WIC § 10850") -> the library's title for it; citations
    the library no longer holds, or holds untitled, are left out."""
    titles = {}
    for text in citations:
        try:
            statute = find_statute(session, parse_citation(text))
        except ValidationFailed:
            continue  # a classification code, or a citation written before the parser knew it
        if statute is not None and statute.title:
            titles[text] = statute.title
    return titles


@dataclass
class RollupGroup:
    """One classification or statute, and the fields it governs."""

    key: str
    label: str
    url: str = ""
    fields: list[str] = field(default_factory=list)


@dataclass
class Rollup:
    classifications: list[RollupGroup]
    statutes: list[RollupGroup]
    unclassified: list[str]


def rollup(session: Session, actor: Actor, field_ids: list[int]) -> Rollup:
    """Every classification and statute that governs a set of fields, with the fields behind each.

    Sub-types roll up under their parent too (a PII:ssn field appears under PII), so the
    top-level restrictions are visible at a glance.
    """
    check(actor, Action.VIEW_CATALOG)
    names = dict(
        session.execute(
            select(CatalogField.id, Dataset.name + "." + CatalogField.name)
            .join(Dataset)
            .where(CatalogField.id.in_(field_ids))
        ).all()
    )
    known = list(names)
    return roll_up(
        names,
        field_classifications(session, known),
        field_statutes(session, known),
        {c.code: c.label for c in vocabulary(session)},
    )


def roll_up(
    names: Mapping[int, str],
    classes: Mapping[int, list[str]],
    cites: Mapping[int, list[Statute]],
    labels: Mapping[str, str],
) -> Rollup:
    """``rollup`` of what a page has already read: the fields' names ("dataset.field") by id,
    their classification codes and statutes, and the vocabulary's labels."""
    by_class: dict[str, RollupGroup] = {}
    by_statute: dict[int, RollupGroup] = {}
    for field_id, name in names.items():
        for code in classes.get(field_id, []):
            for key in {code, code.split(":")[0]}:
                group = by_class.setdefault(key, RollupGroup(key, labels.get(key, key)))
                if name not in group.fields:
                    group.fields.append(name)
        for s in cites.get(field_id, []):
            group = by_statute.setdefault(s.id, RollupGroup(s.citation, s.title, s.url))
            group.fields.append(name)
    for group in [*by_class.values(), *by_statute.values()]:
        group.fields.sort()
    return Rollup(
        classifications=sorted(by_class.values(), key=lambda g: g.key),
        statutes=sorted(by_statute.values(), key=lambda g: g.key),
        unclassified=sorted(n for i, n in names.items() if not classes.get(i)),
    )
