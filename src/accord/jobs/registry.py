"""Which function runs each kind of job, and what a worker does periodically. Capabilities
register theirs when imported, so this package never imports them; a worker claims only the
kinds registered in its process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accord.config import Settings
from accord.jobs.progress import Progress


@dataclass(frozen=True)
class JobContext:
    """What a handler gets: the job's identity and a progress callback that also carries
    cancellation (it raises JobCancelled when someone asked the job to stop)."""

    settings: Settings
    job_id: int
    kind: str
    subject: str
    who: str
    progress: Progress


# A handler may return a value for an in-process caller (jobs.worker.run_job); the record of
# the job is what it wrote to the database.
Handler = Callable[[JobContext], object]

_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)


# Called by every worker about once a minute; returns lines for the worker's log. It must be
# safe to run in several workers at once (each locks what it changes).
Periodic = Callable[[Settings], list[str]]

_PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, task: Periodic) -> None:
    _PERIODIC[name] = task


def periodic() -> dict[str, Periodic]:
    return dict(_PERIODIC)
