"""Lifecycles as data: what a lifecycle offers, what it refuses and why, and the one history
every lifecycle writes. Declared here over a small record of the test's own, so the rules are
pinned apart from any capability's use of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pytest

from accord.auth.actor import Actor
from accord.auth.permissions import Action, Relation
from accord.auth.roles import Role
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import PermissionDenied
from accord.lifecycle import InvalidTransition, Lifecycle, StateChange, Transition


class Door(StrEnum):
    SHUT = "shut"
    OPEN = "open"
    LOCKED = "locked"


@dataclass
class Room:
    key: int
    state: Door = Door.SHUT
    author: str = ""
    jammed: bool = False
    seen: list[str] = field(default_factory=list)

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        return frozenset({Relation.AUTHOR}) if actor.username == self.author else frozenset()


def not_jammed(room: Room, actor: Actor) -> str | None:
    return "the door is jammed" if room.jammed else None


def _set(room: Room, state: Door) -> None:
    room.state = state


DOORS = Lifecycle[Door, Room](
    name="door",
    states=Door,
    transitions=(
        Transition("open", frozenset({Door.SHUT}), Door.OPEN, Action.VIEW_CATALOG, (not_jammed,)),
        Transition("close", frozenset({Door.OPEN}), Door.SHUT, Action.VIEW_CATALOG),
        Transition("lock", frozenset({Door.SHUT}), Door.LOCKED, Action.REVIEW_DESCRIPTIONS),
    ),
    state_of=lambda r: r.state,
    set_state=_set,
    key_of=lambda r: r.key,
    title_of=lambda r: f"room {r.key}",
)

STEWARD = Actor(1, "sam", frozenset({Role.STEWARD}))
REQUESTER = Actor(2, "rae", frozenset({Role.REQUESTER}))


def test_allowed_offers_only_moves_the_state_roles_relations_and_guards_permit() -> None:
    room = Room(1)
    assert DOORS.verbs(room, STEWARD) == {"open", "lock"}
    assert DOORS.verbs(room, REQUESTER) == {"open"}  # roles: only reviewers lock
    assert DOORS.verbs(Room(2, author="sam"), STEWARD) == {"open"}  # never one's own work
    assert DOORS.verbs(Room(3, jammed=True), STEWARD) == {"lock"}  # a guard refuses
    assert DOORS.verbs(Room(4, Door.LOCKED), STEWARD) == frozenset()


def test_illegal_moves_are_refused_with_the_reason_and_change_nothing() -> None:
    with pytest.raises(InvalidTransition) as wrong_state:
        DOORS.check(Room(1, Door.OPEN), STEWARD, "lock")
    assert wrong_state.value.message == (
        "Cannot lock room 1: it is open. It can be done when it is shut, by any data "
        "coordinator, data steward or program owner, but not its author."
    )
    assert (wrong_state.value.status, wrong_state.value.code) == (409, "invalid_transition")
    assert (wrong_state.value.state, wrong_state.value.verb) == ("open", "lock")
    jammed = Room(2, jammed=True)
    with pytest.raises(InvalidTransition) as guarded:
        DOORS.check(jammed, STEWARD, "open")
    assert guarded.value.message == "Cannot open room 2: the door is jammed."
    with pytest.raises(PermissionDenied, match="Someone other than the author"):
        DOORS.check(Room(3, author="sam"), STEWARD, "lock")
    with pytest.raises(PermissionDenied, match="roles do not allow"):
        DOORS.check(Room(4), REQUESTER, "lock")
    with pytest.raises(ValueError, match="no transition 'fly'"):
        DOORS.check(Room(5), STEWARD, "fly")
    assert jammed.state == Door.SHUT


HALLS = Lifecycle[Door, Room](
    name="hall",
    states=Door,
    transitions=(
        Transition("sweep", frozenset({Door.LOCKED, Door.SHUT}), Door.OPEN, Action.SEND_PROPOSALS),
        Transition("seal", frozenset({Door.SHUT}), Door.LOCKED, None),
        Transition("seal", frozenset({Door.OPEN}), Door.LOCKED, Action.VIEW_HOME),
    ),
    state_of=lambda r: r.state,
    set_state=_set,
    key_of=lambda r: r.key,
    title_of=lambda r: f"hall {r.key}",
)


def test_a_move_refused_in_the_wrong_state_names_where_it_is_made_and_who_makes_it() -> None:
    """Who may act is read from the permission table (roles by their labels, in declaration
    order, and the relation the rule needs), the states from the declaration in their order;
    the error's fields and kind stay as they were."""
    with pytest.raises(InvalidTransition) as refused:
        HALLS.check(Room(1, Door.OPEN), STEWARD, "sweep")
    assert refused.value.message == (
        "Cannot sweep hall 1: it is open. It can be done when it is shut or locked, by the "
        "data coordinator, requester or program owner of the department receiving the data."
    )
    assert (refused.value.lifecycle, refused.value.state, refused.value.verb) == (
        "hall",
        "open",
        "sweep",
    )
    assert (refused.value.status, refused.value.code) == (409, "invalid_transition")
    with pytest.raises(InvalidTransition) as twice:
        HALLS.check(Room(2, Door.LOCKED), STEWARD, "seal")
    assert twice.value.message == (
        "Cannot seal hall 2: it is locked. Accord does that itself when it is shut; "
        "it can be done when it is open, by anyone."
    )
    # a guard's refusal is the guard's reason alone: the state is right, who acts is not news
    with pytest.raises(InvalidTransition) as guarded:
        DOORS.check(Room(3, jammed=True), STEWARD, "open")
    assert guarded.value.message == "Cannot open room 3: the door is jammed."


def test_every_move_is_recorded_in_the_shared_history(settings: Settings) -> None:
    room = Room(7)
    with transaction(settings) as session:
        DOORS.apply(session, room, STEWARD, "open", "airing")
        DOORS.apply(session, room, REQUESTER, "close")
        with pytest.raises(InvalidTransition):
            DOORS.apply(session, room, STEWARD, "close")
    assert room.state == Door.SHUT
    with transaction(settings) as session:
        moves = DOORS.history(session, 7)
        assert [(m.verb, m.from_state, m.to_state, m.actor, m.note) for m in moves] == [
            ("open", "shut", "open", "sam", "airing"),
            ("close", "open", "shut", "rae", ""),
        ]
        assert moves[0].at <= moves[1].at
        assert session.query(StateChange).filter_by(lifecycle="other").count() == 0


def test_moves_accord_makes_itself_are_never_offered_to_people() -> None:
    from accord.jobs.models import Job
    from accord.jobs.states import JOB

    job = Job(id=3, kind="harvest", status="queued", who="sam")
    admin = Actor(9, "root", frozenset({Role.ADMIN}))
    assert JOB.verbs(job, admin) == frozenset()
    with pytest.raises(PermissionDenied, match=r"Only Accord itself makes this move \(job.claim\)"):
        JOB.check(job, admin, "claim")
    with pytest.raises(ValueError, match="not a move from running"):
        JOB.record(None, 3, "claim", JOB.states.RUNNING, "w:1")  # type: ignore[arg-type]
