"""Writing a proposal: starting it from the basket, answering the form, the requested fields and
their legal authority, minimum-necessary marks, versions, and moving it through its lifecycle.

Every save is a new version; a save based on an older version than the stored one is refused
with what changed since (optimistic locking), so two people editing at once lose nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.departments import home_department_id
from accord.auth.models import Department
from accord.auth.permissions import Action, Relation, check
from accord.catalog.fields import field_classifications
from accord.catalog.models import CatalogField, Dataset
from accord.catalog.published import published_of
from accord.catalog.statutes import field_statutes
from accord.db.base import utcnow
from accord.errors import Conflict, NotFound, Problem, ValidationFailed
from accord.lifecycle import InvalidTransition
from accord.proposals.access import audit_value, load, readable
from accord.proposals.agreements import file_agreement
from accord.proposals.basket import basket, remove_from_basket
from accord.proposals.form import BY_KEY, DEFAULT_PATH, PATHS, Step, answer_problems, missing
from accord.proposals.models import (
    Proposal,
    ProposalAuthority,
    ProposalElement,
    ProposalParty,
    ProposalVersion,
)
from accord.proposals.prefill import refill
from accord.proposals.states import EDITABLE, PROPOSAL, ProposalState

SEP = "; "
STEP_OF_VERB = {"send": Step.SEND, "start_review": Step.REVIEW, "request_signatures": Step.SIGN}


def home_department(session: Session) -> Department:
    """The department whose catalog this installation holds (the first one set up), and so
    the provider of the data every proposal here asks for."""
    home = home_department_id(session)
    found = None if home is None else session.get(Department, home)
    if found is None:
        raise NotFound("No department is set up yet.")
    return found


def start_proposal(
    session: Session,
    actor: Actor,
    *,
    use_case_name: str = "",
    path: str = DEFAULT_PATH,
    program: str = "",
    also_recipients: list[int] | None = None,
) -> Proposal:
    """A new draft asking for the fields in the actor's basket, which it then empties."""
    check(actor, Action.DRAFT_PROPOSALS)
    problems = []
    if path not in PATHS:
        problems.append(Problem("path", f"Choose one of: {', '.join(PATHS)}."))
    picked = [line for line in basket(session, actor) if not line.removed]
    if not picked:
        problems.append(Problem("basket", "Add fields from the catalog to your basket first."))
    provider = home_department(session)
    if actor.department_id == provider.id:
        problems.append(
            Problem(
                "department",
                f"{provider.name} holds this data itself: sharing inside a department needs "
                "no proposal.",
            )
        )
    recipients = [d for d in dict.fromkeys([actor.department_id, *(also_recipients or [])]) if d]
    unknown = [d for d in recipients if session.get(Department, d) is None]
    if unknown or provider.id in recipients[1:]:
        problems.append(Problem("recipients", "Recipients must be other existing departments."))
    if problems:
        raise ValidationFailed(problems)
    proposal = Proposal(
        path=path,
        state=ProposalState.DRAFT.value,
        version=1,
        answers={"use_case_name": use_case_name.strip()[:300]} if use_case_name.strip() else {},
        prefilled={},
        created_by=actor.user_id,
    )
    proposal.parties = [ProposalParty(department_id=provider.id, side="provider")] + [
        ProposalParty(department_id=d, side="recipient", program=program.strip()[:200])
        for d in recipients
    ]
    session.add(proposal)
    session.flush()
    _add_elements(session, proposal, [line.field_id for line in picked])
    refill(session, proposal, elements(session, proposal))
    _snapshot(session, proposal, actor, "Started from the catalog")
    remove_from_basket(session, actor)
    audit.record(
        session,
        actor,
        "proposal.start",
        "proposal",
        proposal.id,
        after={"path": path, "fields": len(picked), "departments": proposal.departments()},
    )
    return proposal


def _add_elements(session: Session, proposal: Proposal, field_ids: list[int]) -> None:
    """Copy what the catalog says of each field, so the proposal reads right if it changes.

    Its description as published, whoever adds it: both departments read the proposal."""
    classes = field_classifications(session, field_ids)
    statutes = field_statutes(session, field_ids)
    published = published_of(session, field_ids)
    rows = session.execute(
        select(CatalogField, Dataset)
        .join(Dataset, Dataset.id == CatalogField.dataset_id)
        .where(CatalogField.id.in_(field_ids))
    ).all()
    for f, d in rows:
        shown = published.get(f.id)
        session.add(
            ProposalElement(
                proposal_id=proposal.id,
                dataset_id=d.id,
                field_id=f.id,
                dataset_name=d.name,
                field_name=f.name,
                label=shown.label if shown else "",
                definition=shown.definition if shown else "",
                data_type=f.data_type,
                valid_values=shown.valid_values if shown else "",
                classifications=SEP.join(classes.get(f.id, [])),
                statutes=SEP.join(s.citation for s in statutes.get(f.id, [])),
                row_count=d.row_count,
            )
        )
    session.flush()


def elements(session: Session, proposal: Proposal) -> list[ProposalElement]:
    return list(
        session.scalars(
            select(ProposalElement)
            .where(ProposalElement.proposal_id == proposal.id)
            .order_by(ProposalElement.dataset_name, ProposalElement.field_name)
        )
    )


def left_catalog(session: Session, proposal: Proposal) -> set[int]:
    """Requested fields that the catalog no longer holds (shown marked, never dropped)."""
    ids = [e.field_id for e in elements(session, proposal)]
    present = set(
        session.scalars(
            select(CatalogField.id).where(
                CatalogField.id.in_(ids), CatalogField.removed_at.is_(None)
            )
        )
    )
    return set(ids) - present


def _is_statute(key: str) -> bool:
    return " " in key


def governing(session: Session, proposal: Proposal) -> list[str]:
    """Every classification (top level: PII, PHI, ...) and statute over the requested fields,
    from what was copied when they were requested."""
    keys: set[str] = set()
    for e in elements(session, proposal):
        if e.removed:
            continue
        keys |= {c.split(":")[0] for c in e.classifications.split(SEP) if c and c != "PUBLIC"}
        keys |= {s for s in e.statutes.split(SEP) if s}
    return sorted(keys, key=lambda k: (_is_statute(k), k))


def authorities(session: Session, proposal: Proposal) -> dict[str, ProposalAuthority]:
    return {
        a.governs: a
        for a in session.scalars(
            select(ProposalAuthority).where(ProposalAuthority.proposal_id == proposal.id)
        )
    }


def _editable(proposal: Proposal, actor: Actor, doing: str) -> None:
    """Answers change in the draft (the recipient alone) and in joint development (both)."""
    check(actor, Action.EDIT_PROPOSALS, proposal)
    state = ProposalState(proposal.state)
    if state not in EDITABLE:
        raise InvalidTransition(
            f"Cannot {doing} proposal {proposal.id}: it is {state.label.lower()}; changes are "
            "made in the draft or in joint development.",
            lifecycle=PROPOSAL.name,
            state=state.value,
            verb="edit",
        )
    if state is ProposalState.DRAFT and Relation.RECIPIENT not in proposal.relations_to(actor):
        raise InvalidTransition(
            f"Cannot {doing} proposal {proposal.id}: the recipient is still drafting it.",
            lifecycle=PROPOSAL.name,
            state=state.value,
            verb="edit",
        )


def _stale(session: Session, proposal: Proposal, base_version: int) -> None:
    if base_version == proposal.version:
        return
    if base_version > proposal.version:
        # Not a concurrent save (versions only grow): the client names a version that never
        # existed, which no reload resolves, so it is refused as input, not as a conflict.
        raise ValidationFailed(
            [
                Problem(
                    "base_version",
                    f"Proposal {proposal.id} has no version {base_version}; the latest is "
                    f"version {proposal.version}. Reload it and make your changes again.",
                )
            ]
        )
    base = _version(session, proposal.id, base_version)
    changed = sorted(
        BY_KEY[k].label
        for k in set(base.answers) | set(proposal.answers)
        if k in BY_KEY and base.answers.get(k) != proposal.answers.get(k)
    )
    by = _version(session, proposal.id, proposal.version).saved_by
    raise Conflict(
        f"Proposal {proposal.id} was saved by {by} (version {proposal.version}) after you "
        f"opened version {base_version}"
        + (f"; changed since: {', '.join(changed)}" if changed else "")
        + ". Your changes were not saved: reload, then make them again."
    )


def save_answers(
    session: Session,
    actor: Actor,
    proposal_id: int,
    changes: dict[str, str],
    *,
    base_version: int,
    note: str = "",
) -> Proposal:
    """Answer questions; every save is a version. Refuses, listing every problem, on bad input
    or restricted questions the actor may not read (ValidationFailed, also for a
    ``base_version`` that does not exist), and a save based on an outdated version (Conflict)."""
    proposal = load(session, actor, proposal_id, lock=True)
    _editable(proposal, actor, "edit")
    _stale(session, proposal, base_version)
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
    problems = answer_problems(changes)
    problems += [
        Problem(k, f"Only the roles allowed to read {BY_KEY[k].label} may answer it.")
        for k in changes
        if not readable(actor, proposal, k)
    ]
    if problems:
        raise ValidationFailed(problems)
    before = proposal.answers
    after = {**before, **{k: v for k, v in changes.items()}}
    after = {k: v for k, v in after.items() if v}
    touched = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not touched:
        return proposal
    proposal.answers = after
    _snapshot(session, proposal, actor, note)
    audit.record(
        session,
        actor,
        "proposal.save",
        "proposal",
        proposal.id,
        before={k: audit_value(k, before.get(k)) for k in touched},
        after={k: audit_value(k, after.get(k)) for k in touched},
    )
    return proposal


def _snapshot(session: Session, proposal: Proposal, actor: Actor, note: str) -> None:
    """Record the proposal as it now stands as a new version."""
    number = session.scalar(
        select(func.coalesce(func.max(ProposalVersion.number), 0)).where(
            ProposalVersion.proposal_id == proposal.id
        )
    )
    proposal.version = (number or 0) + 1
    proposal.updated_at = utcnow()
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=proposal.version,
            answers=dict(proposal.answers),
            elements=[
                f"{e.dataset_name}.{e.field_name}"
                for e in elements(session, proposal)
                if not e.removed
            ],
            saved_by=actor.username,
            note=note.strip()[:2000],
        )
    )
    session.flush()


def _version(session: Session, proposal_id: int, number: int) -> ProposalVersion:
    found = session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal_id, ProposalVersion.number == number
        )
    )
    if found is None:
        raise NotFound(f"Proposal {proposal_id} has no version {number}.")
    return found


def versions(session: Session, actor: Actor, proposal_id: int) -> list[ProposalVersion]:
    load(session, actor, proposal_id)
    return list(
        session.scalars(
            select(ProposalVersion)
            .where(ProposalVersion.proposal_id == proposal_id)
            .order_by(ProposalVersion.number)
        )
    )


def _element(session: Session, proposal: Proposal, element_id: int) -> ProposalElement:
    found = session.get(ProposalElement, element_id)
    if found is None or found.proposal_id != proposal.id:
        raise NotFound(f"Proposal {proposal.id} asks for no element {element_id}.")
    return found


def set_removed(
    session: Session, actor: Actor, proposal_id: int, element_id: int, removed: bool
) -> ProposalElement:
    """The recipient takes a requested field out of the proposal, or puts it back; the answers
    filled from the catalog follow, unless a person has rewritten them (``prefill.refill``)."""
    proposal = load(session, actor, proposal_id, lock=True)
    _editable(proposal, actor, "change the fields of")
    check(actor, Action.SEND_PROPOSALS, proposal)  # the recipient's drafters
    element = _element(session, proposal, element_id)
    if element.removed != removed:
        element.removed = removed
        refilled = refill(session, proposal, elements(session, proposal))
        _snapshot(
            session, proposal, actor, ("Removed " if removed else "Restored ") + element.field_name
        )
        audit.record(
            session,
            actor,
            "proposal.element",
            "proposal",
            proposal.id,
            before={"element": element.id, "removed": not removed},
            after={"element": element.id, "removed": removed, "refilled": refilled},
        )
    return element


def mark_not_needed(
    session: Session, actor: Actor, proposal_id: int, element_id: int, reason: str
) -> ProposalElement:
    """The provider marks a requested field that the stated use does not need (minimum
    necessary); an empty reason clears the mark."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.MARK_MINIMUM_NECESSARY, proposal)
    state = ProposalState(proposal.state)
    if state not in {ProposalState.SENT_TO_PROVIDER, ProposalState.IN_JOINT_DEVELOPMENT}:
        raise InvalidTransition(
            f"Cannot mark fields of proposal {proposal.id}: it is {state.label.lower()}.",
            lifecycle=PROPOSAL.name,
            state=state.value,
            verb="mark_not_needed",
        )
    element = _element(session, proposal, element_id)
    before = element.not_needed
    element.not_needed, element.not_needed_by = reason.strip()[:2000], actor.username
    element.justification = ""
    audit.record(
        session,
        actor,
        "proposal.minimum_necessary",
        "proposal",
        proposal.id,
        before={"element": element.id, "not_needed": before},
        after={"element": element.id, "not_needed": element.not_needed},
    )
    return element


def justify(
    session: Session, actor: Actor, proposal_id: int, element_id: int, justification: str
) -> ProposalElement:
    """The recipient answers a minimum-necessary mark: why the use needs the field."""
    proposal = load(session, actor, proposal_id, lock=True)
    _editable(proposal, actor, "answer the marks of")
    check(actor, Action.SEND_PROPOSALS, proposal)
    element = _element(session, proposal, element_id)
    if not justification.strip():
        raise ValidationFailed([Problem("justification", "Say why the use needs this field.")])
    element.justification = justification.strip()[:2000]
    audit.record(
        session,
        actor,
        "proposal.justify",
        "proposal",
        proposal.id,
        after={"element": element.id, "justification": element.justification},
    )
    return element


def state_authority(
    session: Session, actor: Actor, proposal_id: int, statements: dict[str, str]
) -> None:
    """The recipient states its legal authority for statutes and classifications that govern
    the request (an empty statement withdraws one)."""
    proposal = load(session, actor, proposal_id, lock=True)
    _editable(proposal, actor, "state the legal authority of")
    check(actor, Action.SEND_PROPOSALS, proposal)
    known = set(governing(session, proposal))
    unknown = sorted(set(statements) - known)
    if unknown:
        raise ValidationFailed(
            [Problem(k, f"{k} does not govern any requested field.") for k in unknown]
        )
    current = authorities(session, proposal)
    for governs, text in statements.items():
        text = text.strip()[:5000]
        row = current.get(governs)
        if not text:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                ProposalAuthority(
                    proposal_id=proposal.id,
                    governs=governs,
                    statement=text,
                    stated_by=actor.username,
                )
            )
        elif row.statement != text:
            row.statement, row.stated_by, row.stated_at = text, actor.username, utcnow()
    audit.record(session, actor, "proposal.authority", "proposal", proposal.id, after=statements)


def step_problems(session: Session, proposal: Proposal, step: Step) -> list[Problem]:
    """Everything that keeps a proposal from ``step``, listed at once."""
    problems = missing(proposal.answers, step, proposal.path)
    requested = [e for e in elements(session, proposal) if not e.removed]
    if not requested:
        problems.append(Problem("elements", "The proposal asks for no field."))
    stated = authorities(session, proposal)
    problems += [
        Problem(f"authority:{key}", f"State the legal authority for {key}.")
        for key in governing(session, proposal)
        if key not in stated
    ]
    return problems


def transition(
    session: Session, actor: Actor, proposal_id: int, verb: str, note: str = ""
) -> Proposal:
    """Make one move of the lifecycle; the step's required answers are checked first and every
    missing one is listed. Refused moves change nothing."""
    proposal = load(session, actor, proposal_id, lock=True)
    if verb not in {t.verb for t in PROPOSAL.transitions}:
        moves = ", ".join(sorted({t.verb for t in PROPOSAL.transitions if t.action is not None}))
        raise ValidationFailed(
            [Problem("verb", f"No move {verb!r} for a proposal; moves: {moves}.")]
        )
    PROPOSAL.check(proposal, actor, verb)
    if verb in STEP_OF_VERB:
        problems = step_problems(session, proposal, STEP_OF_VERB[verb])
        if problems:
            raise ValidationFailed(
                problems, f"Proposal {proposal.id} is not ready to {verb.replace('_', ' ')}."
            )
    if verb in {"decline", "withdraw"} and not note.strip():
        raise ValidationFailed([Problem("note", "Give the reason; it goes on the record.")])
    before = proposal.state
    PROPOSAL.apply(session, proposal, actor, verb, note)
    if verb == "file":
        file_agreement(session, actor, proposal)
    audit.record(
        session,
        actor,
        f"proposal.{verb}",
        "proposal",
        proposal.id,
        before={"state": before},
        after={"state": proposal.state, "note": note},
    )
    return proposal


@dataclass(frozen=True)
class AnswerChange:
    key: str
    label: str
    before: Any
    after: Any
    restricted: bool = False  # the actor may not read it: shown as changed, not its text


def diff(
    session: Session, actor: Actor, proposal_id: int, a: int, b: int
) -> tuple[list[AnswerChange], list[str], list[str]]:
    """Two versions compared question by question: changed answers (restricted ones the actor
    may not read are named, not shown), fields added and fields removed."""
    proposal = load(session, actor, proposal_id)
    old, new = _version(session, proposal_id, a), _version(session, proposal_id, b)
    changes = []
    for key in sorted(set(old.answers) | set(new.answers), key=_question_order):
        before, after = old.answers.get(key, ""), new.answers.get(key, "")
        if before == after:
            continue
        q = BY_KEY.get(key)
        label = q.label if q else key
        if not readable(actor, proposal, key):
            changes.append(AnswerChange(key, label, "", "", restricted=True))
        else:
            changes.append(AnswerChange(key, label, before, after))
    added = sorted(set(new.elements) - set(old.elements))
    removed = sorted(set(old.elements) - set(new.elements))
    return changes, added, removed


def _question_order(key: str) -> int:
    keys = list(BY_KEY)
    return keys.index(key) if key in keys else len(keys)
