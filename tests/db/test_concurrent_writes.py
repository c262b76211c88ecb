"""Writers at once: on SQLite every transaction that may write takes the write lock when it
begins, so a read-then-write waits its turn instead of failing with "database is locked";
readers are not held up by writers."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from accord.catalog.glossary import save_term
from accord.catalog.models import GlossaryTerm
from accord.config import Settings
from accord.db.engine import transaction
from tests.factories import make_user

THREADS, EACH = 8, 25


def test_eight_writers_at_once_all_succeed(settings: Settings) -> None:
    steward = make_user(settings, "sam", "steward")
    errors: Counter[str] = Counter()

    def write(thread: int) -> None:
        for i in range(EACH):
            try:
                with transaction(settings) as session:  # reads the term, then writes it
                    save_term(session, steward, term=f"T{thread}-{i}",
                              definition="A term that tests concurrent writes.")
            except Exception as exc:  # counted: the assertion names them
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    workers = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for w in workers:
        w.start()
    with transaction(settings, read_only=True) as session:  # a reader meanwhile
        session.scalar(select(func.count()).select_from(GlossaryTerm))
    for w in workers:
        w.join()
    assert not errors
    with transaction(settings, read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(GlossaryTerm)) == THREADS * EACH
