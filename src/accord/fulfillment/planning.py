"""The plan of an agreement: derived from the agreement record, with the rules a data engineer
or privacy officer chose where they differ from the defaults.

Only what the agreement lists can be planned (``proposals.agreements.authorised``); where the
agreement requires de-identification, a direct identifier cannot be set to leave as it is.
"""

from __future__ import annotations

import dataclasses
import secrets as random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog import secrets
from accord.catalog.models import (
    CatalogField,
    Classification,
    ClassificationSuggestion,
    Dataset,
    FieldClassification,
)
from accord.config import Settings
from accord.db.base import utcnow
from accord.errors import Problem, ValidationFailed
from accord.fulfillment.models import FulfillmentPlanRecord
from accord.fulfillment.plan import (
    DIRECT,
    LINKING,
    DatasetPlan,
    FieldPlan,
    Plan,
    Release,
    RowFilter,
    Rule,
    default_rule,
)
from accord.proposals.agreements import SEP, authorised
from accord.proposals.models import Agreement, AgreementElement, Proposal

FORMATS = ("parquet", "csv")
# a dataset's records period choice: all its records (they are not dated), or not chosen yet
ALL_RECORDS, UNCHOSEN = "", "?"


@dataclass(frozen=True)
class PlannedField:
    """One authorised field as the plan page shows it."""

    dataset_id: int
    dataset: str
    field: str
    data_type: str
    classifications: dict[str, str]  # code -> label, as the agreement recorded them
    default: Rule
    rule: Rule
    choices: tuple[Rule, ...]  # the rules this field may be given
    missing: bool  # the catalog no longer has the field (or its dataset)
    # classifications the agreement did not record (code -> label): given in the catalog since
    # approval, or suggested by the classifier and not yet decided. The default and the choices
    # count them, so a field found to be a name after approval is not delivered as one.
    pending: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.dataset}.{self.field}"


def release_of(agreement: Agreement) -> Release:
    value = agreement.deidentification
    return value if value in ("record_level", "aggregate") else "none"  # type: ignore[return-value]


def choices_for(
    classifications: tuple[str, ...], release: Release, *, key: bool = False
) -> tuple[Rule, ...]:
    """Under a de-identification requirement a direct identifier may only be dropped or
    pseudonymised; with none required every rule may be chosen (stricter is always allowed).
    An aggregate release delivers counts, not records: a pseudonym is no dimension, and an
    identifier or a record ``key`` as a dimension would count one person per cell, so those
    may only be dropped."""
    if release == "aggregate":
        if key or set(classifications) & (DIRECT | LINKING):
            return (Rule.DROP,)
        return tuple(r for r in Rule if r is not Rule.PSEUDONYMISE)
    if release == "record_level" and set(classifications) & DIRECT:
        return (Rule.DROP, Rule.PSEUDONYMISE)
    return tuple(Rule)


def shown_record(session: Session, agreement: Agreement) -> FulfillmentPlanRecord:
    """The agreement's plan record to show: the stored one, or (before anyone saved a plan or
    ran one) an unsaved record of the defaults, so that reading a plan writes nothing."""
    record = session.scalar(
        select(FulfillmentPlanRecord).where(FulfillmentPlanRecord.agreement_id == agreement.id)
    )
    if record is None:
        file_format = agreement.format if agreement.format in FORMATS else "parquet"
        return FulfillmentPlanRecord(
            agreement_id=agreement.id,
            rules={},
            format=file_format,
            recipient_key="",
            period_fields={},
        )
    return record


def plan_record(
    session: Session, settings: Settings, agreement: Agreement
) -> FulfillmentPlanRecord:
    """The agreement's plan record, made on first use (by an audited save or run) with a
    fresh pseudonym key."""
    record = session.scalar(
        select(FulfillmentPlanRecord).where(FulfillmentPlanRecord.agreement_id == agreement.id)
    )
    if record is None:
        key = random.token_hex(32)
        record = FulfillmentPlanRecord(
            agreement_id=agreement.id,
            rules={},
            format=agreement.format if agreement.format in FORMATS else "parquet",
            key_encrypted=secrets.encrypt(settings.key, key),
        )
        session.add(record)
        session.flush()
    return record


def pseudonym_key(settings: Settings, record: FulfillmentPlanRecord) -> bytes:
    return bytes.fromhex(secrets.decrypt(settings.key, record.key_encrypted))


def planned_fields(
    session: Session, agreement: Agreement, record: FulfillmentPlanRecord
) -> list[PlannedField]:
    release = release_of(agreement)
    catalog = _catalog_fields(session, agreement.elements)
    suggested = _since_approval(session, [e.field_id for e in agreement.elements])
    planned = []
    for e in agreement.elements:
        given = tuple(c for c in e.classifications.split(SEP) if c)
        pending = {c: label for c, label in suggested.get(e.field_id, {}).items() if c not in given}
        codes = given + tuple(pending)
        found = catalog.get(e.field_id)
        data_type = found.data_type if found is not None else ""
        is_key = found is not None and (found.primary_key or bool(found.foreign_key))
        default = default_rule(e.field_name, data_type, codes, release, key=is_key)
        chosen = record.rules.get(f"{e.dataset_name}.{e.field_name}")
        planned.append(
            PlannedField(
                dataset_id=e.dataset_id,
                dataset=e.dataset_name,
                field=e.field_name,
                data_type=data_type,
                classifications={c: e.classification_labels.get(c, c) for c in given},
                default=default,
                rule=Rule(chosen) if chosen else default,
                choices=choices_for(codes, release, key=is_key),
                missing=found is None,
                pending=pending,
            )
        )
    return planned


def _since_approval(session: Session, field_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each field's classifications in the catalog now, and its open suggestions."""
    given = select(FieldClassification.field_id, Classification.code, Classification.label).join(
        Classification, Classification.code == FieldClassification.code
    )
    suggested = (
        select(ClassificationSuggestion.field_id, Classification.code, Classification.label)
        .join(Classification, Classification.code == ClassificationSuggestion.label)
        .where(ClassificationSuggestion.status == "open")
    )
    found: dict[int, dict[str, str]] = {}
    for query, field_id in (
        (given, FieldClassification.field_id),
        (suggested, ClassificationSuggestion.field_id),
    ):
        for fid, code, label in session.execute(query.where(field_id.in_(field_ids))):
            found.setdefault(fid, {})[code] = label
    return {fid: dict(sorted(codes.items())) for fid, codes in found.items()}


def _catalog_fields(session: Session, elements: list[AgreementElement]) -> dict[int, CatalogField]:
    ids = [e.field_id for e in elements]
    rows = session.scalars(
        select(CatalogField)
        .join(Dataset, Dataset.id == CatalogField.dataset_id)
        .where(
            CatalogField.id.in_(ids),
            CatalogField.removed_at.is_(None),
            Dataset.removed_at.is_(None),
        )
    )
    return {f.id: f for f in rows}


def save_plan(
    session: Session,
    actor: Actor,
    settings: Settings,
    proposal: Proposal,
    agreement: Agreement,
    rules: dict[str, str],
    file_format: str,
    periods: dict[str, str] | None = None,
) -> FulfillmentPlanRecord:
    """Record the rules chosen (``"dataset.field" -> rule``), the format and, when the
    agreement covers a period of records, the date field each dataset is filtered on
    (``dataset -> field``; ``None`` keeps the choices made before). Every problem is listed at
    once and nothing changes if there is one."""
    check(actor, Action.PLAN_FULFILLMENT, proposal)
    record = plan_record(session, settings, agreement)
    planned = planned_fields(session, agreement, record)
    fields = {p.key: p for p in planned}
    problems = []
    try:
        authorised(agreement, [_pair(k) for k in rules])
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    for key, value in rules.items():
        if key not in fields:
            continue
        if value not in {r.value for r in fields[key].choices}:
            allowed = ", ".join(r.label.lower() for r in fields[key].choices)
            problems.append(Problem(key, f"{key} may only be: {allowed}."))
    if file_format not in FORMATS:
        problems.append(Problem("format", "Choose Parquet or CSV."))
    candidates = period_candidates(planned)
    datasets = {p.dataset for p in planned}
    for dataset, field in (periods or {}).items():
        if dataset not in datasets:
            problems.append(Problem(f"period:{dataset}", f"The agreement has no {dataset}."))
        elif field not in (ALL_RECORDS, UNCHOSEN) and field not in candidates.get(dataset, []):
            problems.append(
                Problem(f"period:{dataset}", f"{dataset}.{field} is not one of its date fields.")
            )
    if problems:
        raise ValidationFailed(problems, "The plan was not saved.")
    before = {"rules": dict(record.rules), "format": record.format, "periods": record.period_fields}
    record.rules = {k: v for k, v in rules.items() if v != fields[k].default.value}
    record.format = file_format
    if periods is not None:
        record.period_fields = {d: f for d, f in periods.items() if f != UNCHOSEN}
    record.updated_by, record.updated_at = actor.username, utcnow()
    audit.record(
        session,
        actor,
        "fulfillment.plan",
        "agreement",
        agreement.id,
        before=before,
        after={"rules": record.rules, "format": record.format, "periods": record.period_fields},
    )
    return record


def has_period(agreement: Agreement) -> bool:
    return agreement.records_from is not None or agreement.records_to is not None


def period_candidates(planned: list[PlannedField]) -> dict[str, list[str]]:
    """Per dataset, the authorised fields a records period can be applied to: those the
    catalog types as a date or time, or whose name says so (SQLite keeps dates as text)."""
    found: dict[str, list[str]] = {}
    for p in planned:
        kind, name = p.data_type.lower(), p.field.lower()
        if "date" in kind or "time" in kind or "date" in name:
            found.setdefault(p.dataset, []).append(p.field)
    return found


def period_fields(record: FulfillmentPlanRecord) -> dict[str, str]:
    """The date field of each dataset the period applies to, or ALL_RECORDS for a dataset
    whose records are not dated (a register of people). Only what someone chose: guessing
    would filter people by their birth date because it is a dataset's only date."""
    return dict(record.period_fields or {})


def _period_filters(agreement: Agreement, field: str) -> tuple[RowFilter, ...]:
    """``from <= field < to + 1 day``: a timestamp on the last day (or a text date with a
    time after it) is inside the period."""
    filters = []
    if agreement.records_from is not None:
        filters.append(RowFilter(field, ">=", agreement.records_from.isoformat()))
    if agreement.records_to is not None:
        after = agreement.records_to + timedelta(days=1)
        filters.append(RowFilter(field, "<", after.isoformat()))
    return tuple(filters)


def set_recipient_key(
    session: Session, actor: Actor, settings: Settings, proposal_id: int, text: str
) -> FulfillmentPlanRecord:
    """Encrypt the agreement's packages for this public key from the next run on; an empty
    ``text`` stops encrypting. Either party's engineer or coordinator may set it (the
    recipient knows its key; the provider may be handed it)."""
    from accord.fulfillment.access import agreement_for
    from accord.fulfillment.encryption import checked_key

    _, agreement = agreement_for(session, actor, proposal_id, Action.MANAGE_DESTINATIONS)
    key = checked_key(text)
    record = plan_record(session, settings, agreement)
    before = record.recipient_key
    record.recipient_key = key
    audit.record(
        session,
        actor,
        "fulfillment.encryption",
        "agreement",
        agreement.id,
        before={"recipient_key": before},
        after={"recipient_key": key},
    )
    return record


def _pair(key: str) -> tuple[str, str]:
    dataset, _, field = key.rpartition(".")
    return dataset, field


def build_plan(session: Session, agreement: Agreement, record: FulfillmentPlanRecord) -> Plan:
    """The plan a run executes: the authorised fields of each dataset, grouped, in the
    agreement's order. A field the catalog lost is a refusal, not a silent gap."""
    planned = planned_fields(session, agreement, record)
    missing = [p.key for p in planned if p.missing]
    if missing:
        raise ValidationFailed(
            [Problem("fields", f"The catalog no longer has {', '.join(missing)}.")],
            "The plan cannot run: a field the agreement authorises is gone from its source.",
        )
    outgrown = [p for p in planned if p.rule not in p.choices]
    if outgrown:
        raise ValidationFailed(
            [
                Problem(
                    p.key,
                    f"{p.key}: {p.rule.label.lower()} is no longer allowed"
                    + (f" (now also {', '.join(p.pending.values())})" if p.pending else "")
                    + "; choose its rule again.",
                )
                for p in outgrown
            ],
            "The plan cannot run: a field's classification changed since its rule was chosen.",
        )
    periods = period_fields(record) if has_period(agreement) else {}
    unplaced = sorted({p.dataset for p in planned} - set(periods)) if has_period(agreement) else []
    if unplaced:
        raise ValidationFailed(
            [
                Problem(
                    f"period:{name}",
                    f"Choose the date field of {name} that the records period applies to, "
                    "or say that its records are not dated.",
                )
                for name in unplaced
            ],
            "The agreement covers only records of a period, and the plan does not say which "
            "date each dataset's records are counted by.",
        )
    datasets: list[DatasetPlan] = []
    for dataset_id in dict.fromkeys(p.dataset_id for p in planned):
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        mine = [p for p in planned if p.dataset_id == dataset_id]
        field = periods.get(dataset.name)
        table = dataset.name
        if dataset.schema_name and table.startswith(dataset.schema_name + "."):
            table = table[len(dataset.schema_name) + 1 :]
        datasets.append(
            DatasetPlan(
                dataset_id=dataset_id,
                name=dataset.name,
                table=table,
                schema=dataset.schema_name,
                fields=tuple(
                    FieldPlan(p.field, p.data_type, p.rule, tuple(p.classifications)) for p in mine
                ),
                filters=_period_filters(agreement, field) if field else (),
            )
        )
    authorised(agreement, [(f.dataset, f.field) for f in planned])
    return Plan(
        agreement_id=agreement.id,
        version=agreement.version,
        release=release_of(agreement),
        format="csv" if record.format == "csv" else "parquet",
        datasets=tuple(datasets),
    )
