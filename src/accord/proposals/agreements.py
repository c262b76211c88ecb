"""The agreement record: what an approved proposal authorises, written once at approval.

Fulfillment reads this record and nothing else: the exact datasets and fields, the use, the
authorised users, the dates, one-time or recurring, the transfer method, the de-identification
required and the destruction terms; for each field, its classifications in words and the
statutes that govern it, as they stood at approval; and whom it is filed with. It is never
edited: filing only writes when and by whom, once, and an amendment will make a new one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import Department
from accord.auth.permissions import Action, can, check
from accord.catalog.fields import vocabulary
from accord.catalog.statutes import statute_titles
from accord.db.base import utcnow
from accord.errors import NotFound, Problem, ValidationFailed
from accord.proposals.form import PATHS
from accord.proposals.models import Agreement, AgreementElement, Proposal, ProposalElement

SEP = "; "


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def create_agreement(session: Session, actor: Actor, proposal: Proposal) -> Agreement:
    a = proposal.answers
    agreement = Agreement(
        proposal_id=proposal.id,
        path=proposal.path,
        use_case_name=a.get("use_case_name", ""),
        use="\n\n".join(x for x in (a.get("purpose", ""), a.get("output_use", "")) if x),
        authorised_users=a.get("data_users", ""),
        start_date=_date(a.get("start_date", "")),
        end_date=_date(a.get("end_date", "")),
        records_from=_date(a.get("records_from", "")),
        records_to=_date(a.get("records_to", "")),
        frequency=a.get("frequency", "one_time"),
        transfer_method=a.get("transfer_method", ""),
        format=a.get("format", "parquet"),
        deidentification=a.get("deidentification", "none"),
        destruction_return=a.get("destruction_return", ""),
        derived_products=a.get("derived_products", ""),
        redisclosure=a.get("redisclosure", ""),
        version=proposal.version,
        filed_with=PATHS[proposal.path].filed_with,
    )
    approved = list(
        session.scalars(
            select(ProposalElement)
            .where(ProposalElement.proposal_id == proposal.id, ProposalElement.removed.is_(False))
            .order_by(ProposalElement.dataset_name, ProposalElement.field_name)
        )
    )
    labels = {c.code: c.label for c in vocabulary(session)}
    titles = statute_titles(session, sorted({s for e in approved for s in _split(e.statutes)}))
    agreement.elements = [
        AgreementElement(
            dataset_id=e.dataset_id,
            field_id=e.field_id,
            dataset_name=e.dataset_name,
            field_name=e.field_name,
            classifications=e.classifications,
            classification_labels={
                c: labels[c] for c in _split(e.classifications) if labels.get(c)
            },
            statutes=[{"citation": s, "title": titles.get(s, "")} for s in _split(e.statutes)],
        )
        for e in approved
    ]
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor,
        "agreement.create",
        "agreement",
        agreement.id,
        after={
            "proposal": proposal.id,
            "version": proposal.version,
            "fields": [f"{e.dataset_name}.{e.field_name}" for e in agreement.elements],
        },
    )
    return agreement


def _split(joined: str) -> list[str]:
    return [x for x in joined.split(SEP) if x]


def file_agreement(session: Session, actor: Actor, proposal: Proposal) -> Agreement:
    """Write on the record when and by whom the approved proposal was filed (the lifecycle's
    ``file`` move has checked who may); NotFound if approval made no record."""
    agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == proposal.id))
    if agreement is None:
        raise NotFound(f"Proposal {proposal.id} has no agreement record to file.")
    department = session.get(Department, actor.department_id) if actor.department_id else None
    agreement.filed_at = utcnow()
    agreement.filed_by = actor.username
    agreement.filed_by_department = department.name if department else ""
    audit.record(
        session,
        actor,
        "agreement.file",
        "agreement",
        agreement.id,
        after={"proposal": proposal.id, "filed_with": agreement.filed_with},
    )
    return agreement


def agreement_of(session: Session, actor: Actor, proposal: Proposal) -> Agreement | None:
    check(actor, Action.VIEW_AGREEMENTS, proposal)
    return session.scalar(select(Agreement).where(Agreement.proposal_id == proposal.id))


def get_agreement(session: Session, actor: Actor, agreement_id: int) -> Agreement:
    """The agreement, for a party to its proposal; NotFound for anyone else."""
    agreement = session.get(Agreement, agreement_id)
    proposal = session.get(Proposal, agreement.proposal_id) if agreement else None
    if agreement is None or proposal is None or not can(actor, Action.VIEW_AGREEMENTS, proposal):
        raise NotFound(f"No agreement {agreement_id}.")
    return agreement


def authorised(agreement: Agreement, fields: list[tuple[str, str]]) -> None:
    """Refuse any (dataset, field) the agreement does not list: the one check fulfillment makes
    before it reads a value."""
    allowed = {(e.dataset_name, e.field_name) for e in agreement.elements}
    outside = [f"{d}.{f}" for d, f in fields if (d, f) not in allowed]
    if outside:
        message = f"Agreement {agreement.id} does not authorise {', '.join(outside)}."
        raise ValidationFailed([Problem("fields", message)], message)
