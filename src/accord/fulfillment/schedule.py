"""Recurring deliveries: an agreement delivered daily, weekly, monthly, quarterly or yearly
gets a fresh package on each due date, sent to one SFTP destination, with nobody pressing a
button.

The frequency is the agreement's (BUCP "critical dates"); a schedule adds where the packages
go and the first due date. Workers call ``run_due`` every minute: a due schedule starts a run of
the agreement's current plan as the person who set the schedule up; once that run has its
package, the next call sends it. Everything a call needs is in the database, so a worker that
was stopped picks up where it was: a missed due date is made up once, not once per day missed.
A due date the agreement does not allow (suspended, ended, the person no longer entitled) is
skipped with its reason kept, and the schedule ends with the agreement.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotFound, Problem, ValidationFailed
from accord.fulfillment import deliveries, runs
from accord.fulfillment.access import agreement_for, undeliverable
from accord.fulfillment.models import DeliverySchedule, Destination, FulfillmentRun
from accord.jobs import registry
from accord.jobs.models import ACTIVE, Job
from accord.jobs.states import JobState
from accord.proposals.models import Agreement, Proposal

log = logging.getLogger("accord.fulfillment")
# How far apart due dates are: (months, days).
STEPS = {
    "daily": (0, 1),
    "weekly": (0, 7),
    "monthly": (1, 0),
    "quarterly": (3, 0),
    "yearly": (12, 0),
}
EVERY = {
    "daily": "every day",
    "weekly": "every week",
    "monthly": "every month",
    "quarterly": "every quarter",
    "yearly": "every year",
}


def due_date(first: date, frequency: str, n: int) -> date:
    """The ``n``-th due date after ``first``. Months are counted from ``first`` each time, so
    a schedule that starts on the 31st is due on the last day of shorter months and on the
    31st again after them."""
    months, days = STEPS[frequency]
    if not months:
        return first + timedelta(days=days * n)
    year, month = divmod(first.month - 1 + months * n, 12)
    year += first.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(first.day, last))


def next_due_after(first: date, frequency: str, day: date) -> date:
    """The first due date later than ``day``."""
    months, days = STEPS[frequency]
    if day < first:
        return first
    # a close guess from the step's length, then forward to the exact one
    n = max((day - first).days // (days or months * 31) - 1, 0)
    while (due := due_date(first, frequency, n)) <= day:
        n += 1
    return due


def schedule_of(session: Session, agreement: Agreement) -> DeliverySchedule | None:
    return session.scalar(
        select(DeliverySchedule).where(DeliverySchedule.agreement_id == agreement.id)
    )


def set_schedule(
    session: Session,
    actor: Actor,
    proposal_id: int,
    destination_id: int,
    *,
    first_due: date | None = None,
    today: date | None = None,
) -> DeliverySchedule:
    """Deliver the agreement on its schedule to ``destination_id``, from ``first_due`` (the
    agreement's start or today, whichever is later, when not given). Replaces a schedule the
    agreement had, stopped or not."""
    today = today or date.today()
    proposal, agreement = agreement_for(session, actor, proposal_id, Action.DELIVER, lock=True)
    if agreement.frequency not in STEPS:
        raise Conflict(
            f"The agreement of proposal {proposal.id} is for a one-time delivery; "
            "make the package and deliver it once instead."
        )
    earliest = max(today, agreement.start_date or today)
    blocked = undeliverable(proposal, agreement, earliest)
    if blocked:
        raise Conflict(blocked + " Deliveries cannot be scheduled under it.")
    destination = session.get(Destination, destination_id)
    problems = []
    if destination is None or destination.agreement_id != agreement.id:
        problems.append(
            Problem("destination_id", "Choose one of this agreement's SFTP destinations.")
        )
    first = first_due or earliest
    if first < earliest:
        problems.append(
            Problem(
                "first_due", f"The first delivery can be on {earliest:%d %B %Y} at the soonest."
            )
        )
    elif agreement.end_date is not None and first > agreement.end_date:
        problems.append(
            Problem("first_due", f"The agreement ends on {agreement.end_date:%d %B %Y}.")
        )
    if problems:
        raise ValidationFailed(problems, "Deliveries were not scheduled.")
    assert destination is not None
    schedule = schedule_of(session, agreement)
    before = _summary(schedule) if schedule else None
    if schedule is None:
        schedule = DeliverySchedule(agreement_id=agreement.id)
        session.add(schedule)
    schedule.destination_id = destination.id
    schedule.first_due = schedule.next_due = first
    schedule.run_id = None
    schedule.last_outcome, schedule.last_at = "", None
    schedule.set_by, schedule.set_at = actor.username, utcnow()
    schedule.stopped_at, schedule.stopped_by = None, ""
    session.flush()
    audit.record(
        session,
        actor,
        "schedule.set",
        "delivery_schedule",
        schedule.id,
        before=before,
        after=_summary(schedule) | {"to": destination.name},
    )
    return schedule


def stop_schedule(session: Session, actor: Actor, proposal_id: int) -> DeliverySchedule:
    """No more scheduled deliveries; a run already started still finishes but is not sent."""
    _, agreement = agreement_for(session, actor, proposal_id, Action.DELIVER, lock=True)
    schedule = schedule_of(session, agreement)
    if schedule is None or schedule.stopped_at is not None:
        raise Conflict(f"Proposal {proposal_id} has no scheduled deliveries to stop.")
    before = _summary(schedule)
    schedule.stopped_at, schedule.stopped_by, schedule.run_id = utcnow(), actor.username, None
    audit.record(
        session,
        actor,
        "schedule.stop",
        "delivery_schedule",
        schedule.id,
        before=before,
        after=_summary(schedule),
    )
    return schedule


def _summary(schedule: DeliverySchedule) -> dict[str, object]:
    return {
        "destination": schedule.destination_id,
        "first_due": schedule.first_due.isoformat(),
        "stopped": schedule.stopped_at is not None,
    }


def run_due(settings: Settings, today: date | None = None) -> list[str]:
    """Start the runs that are due and send the packages that are ready; one line per thing
    done, for the worker's log. Each schedule is handled in a transaction of its own with its
    row locked, so workers running this at the same time never start a run twice."""
    today = today or date.today()
    with transaction(settings, read_only=True) as session:
        waiting = list(
            session.scalars(
                select(DeliverySchedule.id)
                .where(
                    or_(
                        and_(
                            DeliverySchedule.stopped_at.is_(None),
                            DeliverySchedule.next_due <= today,
                        ),
                        DeliverySchedule.run_id.is_not(None),  # the last one still goes
                    )
                )
                .order_by(DeliverySchedule.id)
            )
        )
    done = []
    for schedule_id in waiting:
        try:
            with transaction(settings) as session:
                line = _advance(session, settings, schedule_id, today)
        except Exception:  # one schedule's trouble must not stop the others, every minute
            log.exception("scheduled delivery %s failed", schedule_id)
            line = _record_trouble(settings, schedule_id)
        if line:
            done.append(line)
    return done


def _record_trouble(settings: Settings, schedule_id: int) -> str:
    outcome = "Accord could not handle this due date; the worker's log says why. It tries again."
    try:
        with transaction(settings) as session:
            schedule = session.get(DeliverySchedule, schedule_id)
            if schedule is not None:
                schedule.last_outcome, schedule.last_at = outcome, utcnow()
    except Exception:
        log.exception("the outcome of scheduled delivery %s could not be recorded", schedule_id)
    return f"Schedule {schedule_id}: {outcome}"


def _advance(session: Session, settings: Settings, schedule_id: int, today: date) -> str:
    # the proposal is locked before the schedule, in the order set_schedule and stop_schedule
    # take them, so that two transactions never wait on each other
    found = session.get(DeliverySchedule, schedule_id)
    agreement = session.get(Agreement, found.agreement_id) if found else None
    if found is None or agreement is None:
        return ""
    proposal = session.get(Proposal, agreement.proposal_id, with_for_update=True)
    schedule = session.get(
        DeliverySchedule, schedule_id, with_for_update=True, populate_existing=True
    )
    assert proposal is not None and schedule is not None
    if schedule.run_id is not None:
        outcome = _send_when_packaged(session, schedule)
    elif schedule.stopped_at is None and schedule.next_due <= today:
        outcome = _start(session, settings, schedule, proposal, today)
        schedule.next_due = next_due_after(schedule.first_due, agreement.frequency, today)
        if agreement.end_date is not None and schedule.next_due > agreement.end_date:
            schedule.stopped_at = utcnow()
            outcome += f" The agreement ends on {agreement.end_date:%d %B %Y}: no more are due."
    else:
        return ""
    if not outcome:
        return ""
    schedule.last_outcome, schedule.last_at = outcome, utcnow()
    audit.record(
        session,
        Actor(None, schedule.set_by, frozenset(), via="worker"),
        "schedule.due",
        "delivery_schedule",
        schedule.id,
        after={"outcome": outcome, "next_due": schedule.next_due.isoformat()},
    )
    return f"Proposal {proposal.id}: {outcome}"


def _start(
    session: Session,
    settings: Settings,
    schedule: DeliverySchedule,
    proposal: Proposal,
    today: date,
) -> str:
    """Queue the due run as the person who set the schedule up, or say why not."""
    try:
        actor = runs.actor_named(session, schedule.set_by)
        with session.begin_nested():  # a refusal leaves nothing of the attempt
            run = runs.start_run(session, actor, settings, proposal.id)
    except AccordError as exc:
        return f"The delivery due on {schedule.next_due:%d %B %Y} was not made: {exc.message}"
    schedule.run_id = run.id
    return f"Run {run.id} started for the delivery due on {schedule.next_due:%d %B %Y}."


def _send_when_packaged(session: Session, schedule: DeliverySchedule) -> str:
    """Once the due run has its package, queue its upload; a failed run is reported."""
    run = session.get(FulfillmentRun, schedule.run_id)
    job = session.get(Job, run.job_id) if run else None
    assert run is not None and job is not None
    if job.status in ACTIVE:
        return ""
    schedule.run_id = None
    if job.status != JobState.SUCCEEDED:
        return f"Run {run.id} did not make a package ({job.message or job.status}); nothing sent."
    try:
        actor = runs.actor_named(session, schedule.set_by)
        with session.begin_nested():
            sent = deliveries.send_sftp(session, actor, run.id, schedule.destination_id)
    except AccordError as exc:
        return f"The package of run {run.id} was not sent: {exc.message}"
    return f"Sending the package of run {run.id} (delivery {sent.id})."


def describe(schedule: DeliverySchedule, agreement: Agreement) -> str:
    """One sentence for people: how often, to where, and what is next."""
    if schedule.stopped_at is not None:
        who = f" by {schedule.stopped_by}" if schedule.stopped_by else " with the agreement"
        return f"Scheduled deliveries stopped{who} on {schedule.stopped_at:%d %B %Y}."
    return (
        f"Delivered {EVERY[agreement.frequency]}; the next delivery is due on "
        f"{schedule.next_due:%d %B %Y}."
    )


def get_schedule(session: Session, actor: Actor, proposal_id: int) -> DeliverySchedule:
    _, agreement = agreement_for(session, actor, proposal_id)
    schedule = schedule_of(session, agreement)
    if schedule is None:
        raise NotFound(f"Proposal {proposal_id} has no scheduled deliveries.")
    return schedule


registry.register_periodic("delivery schedules", run_due)
