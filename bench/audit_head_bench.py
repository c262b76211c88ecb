"""What anchoring the audit head outside the database costs per committed change.

1,000 audited changes, each its own transaction (one ``audit.record`` and a commit), with the
head file written after each commit and without (the after-commit listener removed), and, to
tell where the cost lies, with the head file but its ``fsync`` skipped. Rounds alternate so
that a busy machine slows each alike; the medians are compared.

    python bench/audit_head_bench.py [--changes 1000] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.config import Settings
from accord.db.engine import transaction
from accord.db.migrate import upgrade_database


def changes(settings: Settings, count: int) -> float:
    actor = Actor.system()
    started = time.perf_counter()
    for i in range(count):
        with transaction(settings) as session:
            audit.record(session, actor, "bench.change", "thing", i, after={"i": i})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="accord-audit-head-"))
    settings = Settings(
        database_url=args.database_url,
        data_dir=folder,
        secret_key="bench-secret-key-" + "z" * 32,
        _env_file=None,  # type: ignore[call-arg]
    )
    upgrade_database(settings.resolved_database_url)
    changes(settings, 50)  # warm up: connections, statement cache
    timings: dict[str, list[float]] = {"with head file": [], "without": [], "no fsync": []}
    fsync = os.fsync
    for _ in range(args.rounds):
        timings["with head file"].append(changes(settings, args.changes))
        event.remove(Session, "after_commit", audit._anchor_head)
        timings["without"].append(changes(settings, args.changes))
        event.listen(Session, "after_commit", audit._anchor_head)
        os.fsync = lambda fd: None  # only the head file's fsync is Python's (SQLite's is in C)
        timings["no fsync"].append(changes(settings, args.changes))
        os.fsync = fsync
    backend = settings.resolved_database_url.split(":", 1)[0]
    print(f"{args.changes} audited changes, {args.rounds} rounds each, {backend}")
    medians = {name: statistics.median(t) for name, t in timings.items()}
    for name, median in medians.items():
        per = median / args.changes * 1e6
        print(f"  {name:15} median {median:6.2f} s  ({per:6.0f} µs per change)")
    for name in ("with head file", "no fsync"):
        ratio = medians[name] / medians["without"]
        extra = (medians[name] - medians["without"]) / args.changes * 1e6
        print(f"  {name} / without: {ratio:.2f}x  ({extra:+.0f} µs per change)")
    lines = len(settings.audit_head_file.read_bytes().splitlines())
    print(f"  head file: {lines} lines, {settings.audit_head_file.stat().st_size} bytes")


if __name__ == "__main__":
    main()
