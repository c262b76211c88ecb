"""The progress callback every long task reports through, and how a task is told to stop."""

from __future__ import annotations

from collections.abc import Callable

# progress(done, total, what): called between steps; it may raise JobCancelled to stop cleanly.
Progress = Callable[[int, int, str], None]


class JobCancelled(Exception):
    """Someone asked the job to stop; the task stops at its next step and keeps nothing."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)
        self.message = message


class JobFailed(Exception):
    """An expected failure with a message for people; the job is marked failed with it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
