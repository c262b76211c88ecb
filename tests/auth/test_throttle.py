"""Sign-in throttling slows a guesser without locking the owner out, and counts every
failure even when the guesses arrive at once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.auth.models import AuditEntry, LoginFailure
from accord.auth.users import authenticate, unlock_user
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotAuthenticated, PermissionDenied, TooManyAttempts
from tests.factories import PASSWORD, make_user

LIMITS = {"max_failures": 5, "window_minutes": 15, "max_client_failures": 50}
ATTACKER, OWNER = "6.6.6.6", "10.0.0.7"


def sign_in(settings: Settings, password: str, client: str, username: str = "ana") -> str:
    """What one attempt came to: 'ok', or the name of the refusal. As the sign-in page does,
    the refusal is caught inside the transaction, so that the failure is kept."""
    with transaction(settings) as session:
        try:
            authenticate(session, username, password, client=client, **LIMITS)
        except (NotAuthenticated, TooManyAttempts) as refused:
            return type(refused).__name__
    return "ok"


def failures(settings: Settings, *at: timedelta, client: str = ATTACKER) -> None:
    """Failed sign-ins of ana recorded as having happened that long ago."""
    with transaction(settings) as session:
        session.add_all(
            LoginFailure(username="ana", client=client, at=utcnow() - ago) for ago in at
        )


def test_the_owner_signs_in_from_elsewhere_while_a_guesser_waits(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    assert [sign_in(settings, "guess-guess", ATTACKER) for _ in range(6)] == [
        "NotAuthenticated"
    ] * 5 + ["TooManyAttempts"]
    assert sign_in(settings, PASSWORD, ATTACKER) == "TooManyAttempts"  # right, but must wait
    assert sign_in(settings, PASSWORD, OWNER) == "ok"


def test_the_wait_doubles_with_each_further_failure(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    failures(settings, *[timedelta(seconds=31)] * 5)  # five, and the first wait (30 s) is over
    assert sign_in(settings, "guess-guess", ATTACKER) == "NotAuthenticated"  # the sixth
    with transaction(settings) as session, pytest.raises(TooManyAttempts) as waiting:
        authenticate(session, "ana", PASSWORD, client=ATTACKER, **LIMITS)
    assert "Try again in 60 seconds" in waiting.value.message
    assert "ask an administrator to unlock" in waiting.value.message


def test_a_spread_out_attack_slows_the_account_everywhere(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    with transaction(settings) as session:
        session.add_all(
            LoginFailure(username="ana", client=f"7.7.{n // 250}.{n % 250}", at=utcnow())
            for n in range(50)
        )
    assert sign_in(settings, PASSWORD, OWNER) == "TooManyAttempts"


def test_an_administrator_unlocks_the_account(settings: Settings) -> None:
    admin = make_user(settings, "root", "admin")
    steward = make_user(settings, "sam", "steward")
    make_user(settings, "ana", "steward")
    failures(settings, *[timedelta(seconds=1)] * 5, client=OWNER)
    assert sign_in(settings, PASSWORD, OWNER) == "TooManyAttempts"
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        unlock_user(session, steward, "ana")
    with transaction(settings) as session:
        assert unlock_user(session, admin, "ana") == 5
    with transaction(settings) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "user.unlock" and entry.actor == "root"
    assert sign_in(settings, PASSWORD, OWNER) == "ok"


def test_forty_guesses_at_once_are_all_counted(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def guess() -> None:
        try:
            outcome = sign_in(settings, "guess-guess", ATTACKER)
        except Exception as exc:  # a database error is an outcome too, and fails the test
            outcome = type(exc).__name__
        with lock:
            outcomes[outcome] += 1

    guessers = [threading.Thread(target=guess) for _ in range(40)]
    for g in guessers:
        g.start()
    for g in guessers:
        g.join()
    assert outcomes == {"NotAuthenticated": 5, "TooManyAttempts": 35}
    with transaction(settings) as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 5


@pytest.mark.parametrize(
    ("failures_ago", "left"),
    [
        ([1] * 5, "29 seconds"),  # the first wait: 30 s from the last failure
        ([1] * 6, "59 seconds"),  # one more: 30 s doubled
        ([1] * 7, "2 minutes"),  # 120 s, said in minutes
        ([1] * 8, "4 minutes"),
        ([1] * 30, "15 minutes"),  # never longer than the window
    ],
)
def test_the_wait_is_said_in_words(settings: Settings, failures_ago: list[int], left: str) -> None:
    make_user(settings, "ana", "admin")
    failures(settings, *[timedelta(seconds=s) for s in failures_ago])
    with transaction(settings) as session, pytest.raises(TooManyAttempts) as waiting:
        authenticate(session, "ana", PASSWORD, client=ATTACKER, **LIMITS)
    assert f"Try again in {left}," in waiting.value.message


def test_the_spread_limit_is_ten_times_the_account_limit(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    with transaction(settings) as session:
        session.add_all(
            LoginFailure(username="ana", client=f"7.7.7.{n}", at=utcnow()) for n in range(49)
        )
    assert sign_in(settings, PASSWORD, OWNER) == "ok"  # 49 from many addresses: not yet
