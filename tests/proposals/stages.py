"""Proposals brought to each state through the real services, for tests that act on them."""

from __future__ import annotations

from typing import Any

from accord.auth.actor import Actor
from accord.db.engine import transaction
from accord.proposals import drafting, reviews
from accord.proposals.access import load
from accord.proposals.basket import add_to_basket
from accord.proposals.drafting import governing, save_answers, state_authority, transition
from accord.proposals.models import Proposal
from tests.proposals.conftest import World

SEND_ANSWERS = {
    "use_case_name": "Housing stability and clinic visits",
    "contacts": "DCS data coordinator, Research Branch, dc@dcs.example; CDW data coordinator",
    "purpose": "Measure whether clients placed in stable housing visit clinics less often.",
    "data_categories": "Identifiers to link records; visit dates and diagnoses.",
    "output_use": "Quarterly aggregate report to the Legislature; no record-level output.",
    "frequency": "quarterly",
    "data_users": "Two DCS research analysts; no contractors.",
    "transfer_method": "sftp",
    "destruction_return": "Destroyed within 30 days of the end date, with a certificate.",
    "critical_dates": "Report due to the Legislature on 2027-06-30.",
    "transfer_of_funds": "no",
    "research": "no",
}
REVIEW_ANSWERS = {
    "release_approval": "Both departments' directors approve any publication.",
    "volumes": "client: 1 row; visit: 0 rows",
    "format": "parquet",
    "deidentification": "aggregate",
    "derived_products": "Aggregate tables may be kept; record-level copies destroyed.",
    "redisclosure": "No re-disclosure.",
    "data_management": "DCS analytics enclave, encrypted at rest, access by named analysts.",
}
SIGN_ANSWERS = {
    "undisputed_explanation": "Both departments agree the use is within WIC 10850(a).",
    "start_date": "2027-01-01",
    "end_date": "2027-12-31",
    "security_requirements": "Encryption at rest and in transit; SSA-derived data stays in the US.",
    "privacy_requirements": "Minimum necessary; no re-identification attempts.",
}


def run(w: World, fn: Any, *args: Any, **kwargs: Any) -> Any:
    with transaction(w.settings) as session:
        return fn(session, *args, **kwargs)


def save(w: World, actor: Actor, pid: int, answers: dict[str, str]) -> None:
    with transaction(w.settings) as session:
        version = load(session, actor, pid).version
        save_answers(session, actor, pid, answers, base_version=version)


def start(
    w: World, fields: tuple[str, ...] = ("client.ssn", "client.county", "visit.diagnosis_code")
) -> int:
    requester = w.dcs["requester"]
    run(w, add_to_basket, requester, field_ids=[w.fields[f] for f in fields])
    proposal: Proposal = run(w, drafting.start_proposal, requester, use_case_name="Housing study")
    return proposal.id


def to_review(w: World) -> int:
    pid = ready_to_send(w)
    run(w, transition, w.dcs["requester"], pid, "send")
    run(w, transition, w.cdw["data_coordinator"], pid, "begin_development")
    save(w, w.cdw["data_coordinator"], pid, REVIEW_ANSWERS)
    run(w, transition, w.cdw["data_coordinator"], pid, "start_review")
    return pid


def ready_to_send(w: World) -> int:
    pid = start(w)
    requester = w.dcs["requester"]
    save(w, requester, pid, SEND_ANSWERS)
    with transaction(w.settings) as session:
        keys = governing(session, load(session, requester, pid))
        state_authority(session, requester, pid, {k: f"WIC 10850(a) permits {k}." for k in keys})
    return pid


def opinions_registered(w: World, pid: int) -> None:
    for dept in (w.cdw, w.dcs):
        for role in ("legal", "privacy_officer", "security_officer"):
            run(w, reviews.register_opinion, dept[role], pid, f"Reviewed by {role}: no objection.")


def to_signatures(w: World) -> int:
    pid = to_review(w)
    provider = w.cdw["data_coordinator"]
    run(w, transition, provider, pid, "return_to_development")
    save(w, provider, pid, SIGN_ANSWERS)
    run(w, transition, provider, pid, "start_review")
    opinions_registered(w, pid)
    run(w, transition, provider, pid, "request_signatures")
    return pid


def to_final_review(w: World) -> int:
    pid = to_signatures(w)
    for dept in (w.cdw, w.dcs):
        run(w, reviews.sign, dept["executive"], pid, title="Deputy Director", attest=True)
    return pid


def to_approved(w: World) -> int:
    pid = to_final_review(w)
    for dept in (w.cdw, w.dcs):
        run(w, reviews.final_review, dept["data_coordinator"], pid, confirm=True)
    return pid
