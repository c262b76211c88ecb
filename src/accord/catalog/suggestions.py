"""Classification suggestions: the classifier proposes, a security officer decides.

Nothing is classified without a person's decision, and each decision is recorded per field
(also when made in bulk by pattern). A suggestion that was rejected stays rejected when the
classifier proposes it again after a re-harvest, because there is one row per field and label.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from sqlalchemy import Executable, Select, bindparam, func, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.classifier import Classifier, FieldSample, load_rules
from accord.catalog.classifier import Suggestion as Proposal
from accord.catalog.harvest.sampling import Samples, sample_database, sample_files
from accord.catalog.models import (
    CatalogField,
    ClassificationSuggestion,
    Dataset,
    FieldClassification,
)
from accord.catalog.search import reindex_datasets
from accord.catalog.sources import connection_url, get_source
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotFound, Problem, ValidationFailed
from accord.lifecycle import Lifecycle, Transition


class SuggestionState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


def _decided(suggestion: ClassificationSuggestion, state: SuggestionState) -> None:
    suggestion.status, suggestion.decided_at = state.value, utcnow()


_OPEN = frozenset({SuggestionState.OPEN})
SUGGESTION = Lifecycle[SuggestionState, ClassificationSuggestion](
    name="suggestion",
    states=SuggestionState,
    transitions=(
        Transition("accept", _OPEN, SuggestionState.ACCEPTED, Action.CLASSIFY_FIELDS),
        Transition("reject", _OPEN, SuggestionState.REJECTED, Action.CLASSIFY_FIELDS),
    ),
    state_of=lambda s: SuggestionState(s.status),
    set_state=_decided,
    key_of=lambda s: s.id,
    title_of=lambda s: f"suggestion {s.id} ({s.label})",
)


@dataclass(frozen=True)
class FieldResult:
    field_id: int
    dataset: str
    field: str
    suggestions: list[Proposal]


@dataclass
class SuggestRun:
    results: list[FieldResult] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    kept_decided: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    field_id: int
    dataset: str
    schema: str
    name: str
    definition: str
    data_type: str
    classified: frozenset[str]


def suggest(
    settings: Settings,
    actor: Actor,
    source_name: str,
    *,
    sample_size: int = 50,
    rules: Path | None = None,
) -> SuggestRun:
    """Classify every field of a source and store open suggestions for people to decide."""
    check(actor, Action.RUN_SUGGESTIONS)
    classifier = Classifier(load_rules(rules))
    with transaction(settings) as session:
        source = get_source(session, actor, source_name)
        rows = _fields(session, source.id)
        url = connection_url(source, settings.key) if source.kind == "database" else ""
        kind, location = source.kind, Path(source.location)
    run = SuggestRun()
    samples: Samples = {}
    if sample_size > 0 and kind == "database":
        samples, run.warnings = sample_database(url, _targets(rows), sample_size)
    elif sample_size > 0 and kind == "files":
        samples, run.warnings = sample_files(location, _file_targets(rows), sample_size)
    fields = [
        FieldSample(
            r.dataset, r.name, r.definition, r.data_type, samples.get((r.dataset, r.name), ())
        )
        for r in rows
    ]
    proposals = classifier.classify_many(fields)
    with transaction(settings) as session:
        _store(session, rows, proposals, run)
        audit.record(
            session,
            actor,
            "suggestions.run",
            "source",
            source_name,
            after={
                "fields": len(rows),
                "created": run.created,
                "updated": run.updated,
                "kept_decided": run.kept_decided,
                "sample_size": sample_size,
            },
        )
    run.results = [
        FieldResult(r.field_id, r.dataset, r.name, p) for r, p in zip(rows, proposals, strict=True)
    ]
    return run


def _fields(session: Session, source_id: int) -> list[_Row]:
    classified: dict[int, set[str]] = defaultdict(set)
    for field_id, code in session.execute(
        select(FieldClassification.field_id, FieldClassification.code)
        .join(CatalogField)
        .join(Dataset)
        .where(Dataset.source_id == source_id)
    ).all():
        classified[field_id].add(code)
    rows = session.execute(
        select(
            CatalogField.id,
            Dataset.name,
            Dataset.schema_name,
            CatalogField.name,
            CatalogField.definition,
            CatalogField.data_type,
        )
        .join(Dataset)
        .where(
            Dataset.source_id == source_id,
            Dataset.removed_at.is_(None),
            CatalogField.removed_at.is_(None),
        )
        .order_by(Dataset.name, CatalogField.position)
    ).all()
    return [
        _Row(i, d, s, n, definition, t, frozenset(classified[i]))
        for i, d, s, n, definition, t in rows
    ]


def _targets(rows: Sequence[_Row]) -> list[tuple[str, str, str, list[str]]]:
    by_dataset: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        by_dataset[(r.dataset, r.schema)].append(r.name)
    return [(d, s, _table(d, s), cols) for (d, s), cols in by_dataset.items()]


def _table(dataset: str, schema: str) -> str:
    return dataset[len(schema) + 1 :] if schema and dataset.startswith(f"{schema}.") else dataset


def _file_targets(rows: Sequence[_Row]) -> list[tuple[str, list[str]]]:
    by_dataset: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_dataset[r.dataset].append(r.name)
    return list(by_dataset.items())


def _store(
    session: Session, rows: Sequence[_Row], proposals: Sequence[list[Proposal]], run: SuggestRun
) -> None:
    existing = {
        (s.field_id, s.label): s
        for s in session.scalars(
            select(ClassificationSuggestion).where(
                ClassificationSuggestion.field_id.in_([r.field_id for r in rows])
            )
        )
    }
    for row, found in zip(rows, proposals, strict=True):
        for proposal in found:
            if proposal.label in row.classified:
                continue
            stored = existing.get((row.field_id, proposal.label))
            if stored is None:
                session.add(
                    ClassificationSuggestion(
                        field_id=row.field_id,
                        label=proposal.label,
                        confidence=proposal.confidence,
                        reason=proposal.reason,
                        status=SuggestionState.OPEN.value,
                        decided_by="",
                    )
                )
                run.created += 1
            elif stored.status == SuggestionState.OPEN:
                stored.confidence, stored.reason = proposal.confidence, proposal.reason
                run.updated += 1
            else:
                run.kept_decided += 1
    session.flush()


@dataclass(frozen=True)
class QueueItem:
    suggestion: ClassificationSuggestion
    field: CatalogField
    dataset: Dataset


def open_suggestions(
    session: Session,
    actor: Actor,
    *,
    dataset_id: int | None = None,
    field_id: int | None = None,
    label: str = "",
    limit: int = 200,
    offset: int = 0,
) -> list[QueueItem]:
    """Open suggestions, highest confidence first, optionally of one dataset, field or label."""
    check(actor, Action.VIEW_SUGGESTIONS)
    params: dict[str, object] = {"limit": limit, "offset": offset}
    if dataset_id is not None:
        params["dataset_id"] = dataset_id
    if field_id is not None:
        params["field_id"] = field_id
    if label:
        params["label"] = label
    query = _open_statement(dataset_id is not None, field_id is not None, bool(label))
    return [QueueItem(*row) for row in session.execute(query, params).all()]


@cache
def _open_statement(
    of_dataset: bool, of_field: bool, of_label: bool
) -> Select[ClassificationSuggestion, CatalogField, Dataset]:
    """Built once per combination of filters, with their values bound (every field page runs
    one): building it cost more than running it."""
    query = (
        select(ClassificationSuggestion, CatalogField, Dataset)
        .join(CatalogField, ClassificationSuggestion.field_id == CatalogField.id)
        .join(Dataset, CatalogField.dataset_id == Dataset.id)
        .where(
            ClassificationSuggestion.status == SuggestionState.OPEN,
            CatalogField.removed_at.is_(None),
        )
        .order_by(
            ClassificationSuggestion.confidence.desc(),
            Dataset.name,
            CatalogField.name,
            ClassificationSuggestion.label,
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    if of_dataset:
        query = query.where(Dataset.id == bindparam("dataset_id"))
    if of_field:
        query = query.where(CatalogField.id == bindparam("field_id"))
    if of_label:
        query = query.where(ClassificationSuggestion.label == bindparam("label"))
    return query


def count_open(session: Session, actor: Actor) -> int:
    """How many suggestions wait for a decision, across the catalog (one query)."""
    check(actor, Action.VIEW_CATALOG)
    return int(
        session.scalar(
            select(func.count())
            .select_from(ClassificationSuggestion)
            .join(CatalogField, ClassificationSuggestion.field_id == CatalogField.id)
            .where(
                ClassificationSuggestion.status == SuggestionState.OPEN,
                CatalogField.removed_at.is_(None),
            )
        )
        or 0
    )


@cache
def _open_counts_statement() -> Executable:
    # Built once: catalog pages run it on every view.
    return (
        select(CatalogField.dataset_id, func.count())
        .join(ClassificationSuggestion, ClassificationSuggestion.field_id == CatalogField.id)
        .where(
            CatalogField.dataset_id.in_(bindparam("ids", expanding=True)),
            ClassificationSuggestion.status == SuggestionState.OPEN,
        )
        .group_by(CatalogField.dataset_id)
    )


def open_counts(session: Session, dataset_ids: list[int]) -> dict[int, int]:
    """Open suggestions per dataset, for the catalog list and dataset pages."""
    rows = session.execute(_open_counts_statement(), {"ids": dataset_ids}).all()
    found = {d: int(n) for d, n in rows}
    return {i: found.get(i, 0) for i in dataset_ids}


def decide(session: Session, actor: Actor, suggestion_ids: Sequence[int], *, accept: bool) -> int:
    """Accept (classify the field) or reject each suggestion; each decision is audited."""
    check(actor, Action.CLASSIFY_FIELDS)
    chosen = list(
        session.scalars(
            select(ClassificationSuggestion).where(ClassificationSuggestion.id.in_(suggestion_ids))
        )
    )
    missing = set(suggestion_ids) - {s.id for s in chosen}
    if missing:
        raise NotFound(f"No suggestion {sorted(missing)[0]}.")
    problems = [
        Problem(str(s.id), "Already decided.") for s in chosen if s.status != SuggestionState.OPEN
    ]
    if accept:
        public = set(
            session.scalars(
                select(FieldClassification.field_id).where(
                    FieldClassification.field_id.in_([s.field_id for s in chosen]),
                    FieldClassification.code == "PUBLIC",
                )
            )
        )
        problems += [
            Problem(str(s.id), "The field is classified public; change that first.")
            for s in chosen
            if s.field_id in public
        ]
    if problems:
        raise ValidationFailed(problems)
    verb = "accept" if accept else "reject"
    for s in chosen:
        SUGGESTION.apply(session, s, actor, verb)
        s.decided_by = actor.username
        if accept and session.get(FieldClassification, (s.field_id, s.label)) is None:
            session.add(FieldClassification(field_id=s.field_id, code=s.label))
        audit.record(
            session,
            actor,
            f"suggestion.{verb}",
            "field",
            s.field_id,
            after={"label": s.label, "confidence": s.confidence, "reason": s.reason},
        )
    session.flush()
    if accept:
        datasets = session.scalars(
            select(CatalogField.dataset_id)
            .where(CatalogField.id.in_([s.field_id for s in chosen]))
            .distinct()
        )
        reindex_datasets(session, list(datasets))
    return len(chosen)


def decide_by_pattern(
    session: Session, actor: Actor, pattern: str, *, accept: bool, label: str = ""
) -> int:
    """Decide every open suggestion whose field name matches a pattern such as ``*_ssn``."""
    check(actor, Action.CLASSIFY_FIELDS)
    matched = [item.suggestion.id for item in matching(session, actor, pattern, label=label)]
    return decide(session, actor, matched, accept=accept) if matched else 0


def matching(session: Session, actor: Actor, pattern: str, *, label: str = "") -> list[QueueItem]:
    """The open suggestions a decision by pattern would decide (what its preview shows)."""
    if not pattern.strip():
        raise ValidationFailed([Problem("pattern", "Give a pattern such as *_ssn.")])
    return [
        item
        for item in open_suggestions(session, actor, label=label, limit=100_000)
        if fnmatch.fnmatch(item.field.name.lower(), pattern.strip().lower())
    ]
