"""Lifecycles as data: the states of a record, the transitions between them, who may make each.

A lifecycle is declared once (states, transitions, the permission each needs, guards) and
then answers two questions: what may this actor do to this record now (``allowed``, so pages
offer exactly those buttons and templates decide nothing), and do it (``apply``, which refuses
an illegal move with ``InvalidTransition`` and records every move it makes in one table that
all lifecycles share, so durations are computed from transitions, never typed by hand).

Kept this small on purpose: python-statemachine binds one machine to one model instance and
its guards answer yes or no, while Accord needs guards that say why they refuse, permissions
that know the subject, and one shared history table written in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, Subject, can, check, who_may
from accord.db.base import utcnow
from accord.errors import Conflict, PermissionDenied
from accord.lifecycle.models import StateChange

S = TypeVar("S", bound=StrEnum)
T = TypeVar("T", bound=Subject)

Guard = Callable[[T, Actor], str | None]
"""Returns the reason the transition cannot be made now, or None when it can."""


class InvalidTransition(Conflict):
    """The record is not in a state where this move can be made (HTTP 409, CLI exit 5)."""

    code = "invalid_transition"

    def __init__(self, message: str, *, lifecycle: str, state: str, verb: str) -> None:
        super().__init__(message)
        self.lifecycle, self.state, self.verb = lifecycle, state, verb


@dataclass(frozen=True)
class Transition(Generic[S, T]):
    verb: str
    sources: frozenset[S]
    target: S
    action: Action | None  # None: a move Accord makes itself (a worker), never a person
    guards: tuple[Guard[T], ...] = ()


@dataclass(frozen=True)
class Lifecycle(Generic[S, T]):
    """A state machine over records of one kind (``T``) whose state is one of ``states``."""

    name: str
    states: type[S]
    transitions: Sequence[Transition[S, T]]
    state_of: Callable[[T], S]
    set_state: Callable[[T, S], None]
    key_of: Callable[[T], int | str]
    title_of: Callable[[T], str]  # how messages name the record: "the description of field 12"
    _verbs: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_verbs", frozenset(t.verb for t in self.transitions))

    def allowed(self, subject: T, actor: Actor) -> list[Transition[S, T]]:
        """The moves this actor may make on this record now, in declaration order."""
        return [
            t
            for t in self._from(self.state_of(subject))
            if t.action is not None
            and can(actor, t.action, subject)
            and self._refusal(t, subject, actor) is None
        ]

    def verbs(self, subject: T, actor: Actor) -> frozenset[str]:
        return frozenset(t.verb for t in self.allowed(subject, actor))

    def check(self, subject: T, actor: Actor, verb: str) -> Transition[S, T]:
        """The move ``verb`` if it can be made now; else ``InvalidTransition`` (wrong state or
        a guard refuses) or ``PermissionDenied`` (not this actor)."""
        if verb not in self._verbs:
            raise ValueError(f"{self.name} has no transition {verb!r}")
        state = self.state_of(subject)
        move = next((t for t in self._from(state) if t.verb == verb), None)
        if move is None:
            ways = self._where_and_who(verb)
            where = f"it is {_words(state)}" + (f". {ways}" if ways else "")
            raise self._invalid(subject, state, verb, where)
        if move.action is None:
            raise PermissionDenied(f"Only Accord itself makes this move ({self.name}.{verb}).")
        check(actor, move.action, subject)
        reason = self._refusal(move, subject, actor)
        if reason is not None:
            raise self._invalid(subject, state, verb, reason)
        return move

    def apply(
        self, session: Session, subject: T, actor: Actor, verb: str, note: str = ""
    ) -> Transition[S, T]:
        """Make one move, or refuse it as ``check`` does; the move is recorded."""
        state = self.state_of(subject)
        move = self.check(subject, actor, verb)
        self.set_state(subject, move.target)
        self.record(session, self.key_of(subject), verb, state, actor.username, note)
        return move

    def move(self, verb: str) -> Transition[S, T]:
        """The declared move, for code that makes it with one conditional UPDATE (a job claimed
        by one of several workers) rather than on a loaded record."""
        found = next((t for t in self.transitions if t.verb == verb), None)
        if found is None:
            raise ValueError(f"{self.name} has no transition {verb!r}")
        return found

    def record(
        self, session: Session, key: int | str, verb: str, state: S, by: str, note: str = ""
    ) -> None:
        """Write a move made from ``state`` into the shared history."""
        move = self.move(verb)
        if state not in move.sources:
            raise ValueError(f"{self.name}.{verb} is not a move from {state.value}")
        session.add(
            StateChange(
                lifecycle=self.name,
                subject_id=str(key),
                verb=verb,
                from_state=state.value,
                to_state=move.target.value,
                actor=by,
                at=utcnow(),
                note=note[:2000],
            )
        )

    def history(self, session: Session, key: int | str) -> list[StateChange]:
        """Every move of one record, oldest first."""
        return list(
            session.scalars(
                select(StateChange)
                .where(StateChange.lifecycle == self.name, StateChange.subject_id == str(key))
                .order_by(StateChange.id)
            )
        )

    def _from(self, state: S) -> list[Transition[S, T]]:
        return [t for t in self.transitions if state in t.sources]

    @staticmethod
    def _refusal(move: Transition[S, T], subject: T, actor: Actor) -> str | None:
        return next((r for g in move.guards if (r := g(subject, actor)) is not None), None)

    def _where_and_who(self, verb: str) -> str:
        """In which states ``verb`` is made and by whom, from the declaration and the one
        permission table, so a refusal tells the reader where the record must be and who acts."""
        ways = []
        for move in (t for t in self.transitions if t.verb == verb):
            states = [_words(s) for s in self.states if s in move.sources]
            when = ", ".join(states[:-1]) + " or " + states[-1] if len(states) > 1 else states[0]
            if move.action is None:
                ways.append(f"Accord does that itself when it is {when}")
            else:
                ways.append(f"it can be done when it is {when}, by {who_may(move.action)}")
        sentence = "; ".join(ways)
        return sentence[:1].upper() + sentence[1:]

    def _invalid(self, subject: T, state: S, verb: str, reason: str) -> InvalidTransition:
        return InvalidTransition(
            f"Cannot {verb.replace('_', ' ')} {self.title_of(subject)}: {reason}.",
            lifecycle=self.name,
            state=state.value,
            verb=verb,
        )


def _words(state: StrEnum) -> str:
    return state.value.replace("_", " ")
