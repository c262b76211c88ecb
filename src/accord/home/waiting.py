"""What waits for one person, kind by kind, with a count, where to act and, when nothing
waits, what to do next.

Each kind is shown to the roles that can act on it and is counted by its own capability's
service in one query, whatever the size of the catalog; nothing here reads rows one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.audit import count_since
from accord.auth.permissions import Action, can
from accord.auth.roles import Role
from accord.auth.tokens import expiring_tokens
from accord.auth.users import failed_sign_ins
from accord.catalog.datasets import retention_due
from accord.catalog.describing import count_assigned, count_to_review
from accord.catalog.harvest.runs import failed_harvests
from accord.catalog.suggestions import count_open

RETENTION_DAYS = 90
TOKEN_DAYS = 14
AUDIT_DAYS = 7


@dataclass(frozen=True)
class Example:
    text: str
    href: str


@dataclass(frozen=True)
class Waiting:
    """One kind of work: ``count`` things, acted on at ``href``; ``empty`` says what to do
    when the count is zero."""

    kind: str
    count: int
    one: str  # "classification suggestion to decide"
    many: str  # "classification suggestions to decide"
    href: str
    action: str  # the link's words: "Decide suggestions"
    empty: str
    examples: tuple[Example, ...] = ()

    @property
    def label(self) -> str:
        return self.one if self.count == 1 else self.many


def what_waits(session: Session, actor: Actor, today: date) -> list[Waiting]:
    """Every kind of work this person's roles can act on, in the order they usually matter."""
    found = [make(session, actor, today) for wanted, make in KINDS if wanted(actor)]
    return [w for w in found if w is not None]


def _suggestions(session: Session, actor: Actor, today: date) -> Waiting:
    return Waiting(
        "suggestions",
        count_open(session, actor),
        "classification suggestion to decide",
        "classification suggestions to decide",
        "/catalog/suggestions",
        "Decide suggestions",
        "No suggestion waits. After a harvest brings new fields, run the classifier on the "
        "source from the Suggestions page.",
    )


def _reviews(session: Session, actor: Actor, today: date) -> Waiting:
    return Waiting(
        "reviews",
        count_to_review(session, actor),
        "description to review",
        "descriptions to review",
        "/catalog/my-work",
        "Review descriptions",
        "No description written by someone else waits for your review. Stewards submit "
        "theirs for review from My work.",
    )


def _assigned(session: Session, actor: Actor, today: date) -> Waiting | None:
    count = count_assigned(session, actor)
    if count == 0 and Role.STEWARD not in actor.roles:
        return None
    return Waiting(
        "assigned",
        count,
        "field assigned to you to describe",
        "fields assigned to you to describe",
        "/catalog/my-work",
        "Describe your fields",
        "No field is assigned to you. Open a dataset in the catalog to describe its fields, "
        "or ask your data coordinator to assign some.",
    )


def _retention(session: Session, actor: Actor, today: date) -> Waiting:
    due = retention_due(session, actor, today, within_days=RETENTION_DAYS)
    return Waiting(
        "retention",
        len(due),
        f"dataset whose retention ends within {RETENTION_DAYS} days",
        f"datasets whose retention ends within {RETENTION_DAYS} days",
        "/catalog/retention",
        "See retention due",
        f"No dataset's retention period ends in the next {RETENTION_DAYS} days. Give each "
        "dataset a retention period in its inventory so that reminders come in time.",
        tuple(
            Example(
                f"{d.dataset.title or d.dataset.name}: {d.next_step}, "
                f"{'overdue since' if d.due_on < today else 'due'} {d.due_on.isoformat()}",
                f"/catalog/datasets/{d.dataset.id}",
            )
            for d in due[:3]
        ),
    )


def _harvests(session: Session, actor: Actor, today: date) -> Waiting:
    failed = failed_harvests(session, actor)
    return Waiting(
        "harvests",
        len(failed),
        "source whose last harvest failed",
        "sources whose last harvest failed",
        f"/catalog/harvests/{failed[0].run_id}" if len(failed) == 1 else "/catalog/sources",
        "See the failed harvest" if len(failed) == 1 else "See the sources",
        "Every source's latest harvest succeeded. Harvest a source again from its page when "
        "its database changes.",
        tuple(
            Example(f"{f.source}: {f.message or 'failed'}", f"/catalog/harvests/{f.run_id}")
            for f in failed[:3]
        ),
    )


def _sign_ins(session: Session, actor: Actor, today: date) -> Waiting:
    failures = failed_sign_ins(session, actor)
    return Waiting(
        "sign_ins",
        len(failures),
        "account with recent failed sign-ins",
        "accounts with recent failed sign-ins",
        "/admin/users",
        "See the users",
        "No account has failed sign-ins. Add people and change their roles on the Users page.",
    )


def _audit(session: Session, actor: Actor, today: date) -> Waiting:
    since = today - timedelta(days=AUDIT_DAYS)
    return Waiting(
        "audit",
        count_since(session, actor, since),
        f"change recorded in the last {AUDIT_DAYS} days",
        f"changes recorded in the last {AUDIT_DAYS} days",
        f"/audit?since={since.isoformat()}",
        "Read the audit log",
        f"Nothing was changed in the last {AUDIT_DAYS} days. The audit log keeps every older "
        "change.",
    )


def _tokens(session: Session, actor: Actor, today: date) -> Waiting | None:
    tokens = expiring_tokens(session, actor, within_days=TOKEN_DAYS)
    if not tokens:
        return None  # everyone may have tokens; only mention them when one is about to end
    return Waiting(
        "tokens",
        len(tokens),
        f"API token of yours expiring within {TOKEN_DAYS} days",
        f"API tokens of yours expiring within {TOKEN_DAYS} days",
        "/account/tokens",
        "Renew tokens",
        "",
        tuple(
            Example(f"{t.name}: expires {t.expires_at:%Y-%m-%d}", "/account/tokens")
            for t in tokens[:3]
        ),
    )


Kind = Callable[[Session, Actor, date], Waiting | None]


def _may(action: Action) -> Callable[[Actor], bool]:
    return lambda actor: can(actor, action)


KINDS: list[tuple[Callable[[Actor], bool], Kind]] = [
    (_may(Action.CLASSIFY_FIELDS), _suggestions),
    (_may(Action.REVIEW_DESCRIPTIONS), _reviews),
    (_may(Action.DESCRIBE_FIELDS), _assigned),
    (_may(Action.EDIT_INVENTORY), _retention),
    (_may(Action.HARVEST), _harvests),
    (_may(Action.MANAGE_USERS), _sign_ins),
    (_may(Action.VIEW_AUDIT), _audit),
    (_may(Action.MANAGE_OWN_TOKENS), _tokens),
]
