"""A job's lifecycle. Every move is Accord's own (a worker claims, finishes or is found dead);
who may cancel a job is the owning capability's rule (a harvest: ``Action.HARVEST``). The
moves are made by conditional UPDATEs, since several workers race for one job, and each is
written to the shared history, from which queue and run times are computed."""

from __future__ import annotations

from enum import StrEnum

from accord.jobs.models import Job
from accord.lifecycle import Lifecycle, Transition


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _set(job: Job, state: JobState) -> None:
    job.status = state.value


_QUEUED, _RUNNING = frozenset({JobState.QUEUED}), frozenset({JobState.RUNNING})
JOB = Lifecycle[JobState, Job](
    name="job",
    states=JobState,
    transitions=(
        Transition("claim", _QUEUED, JobState.RUNNING, None),
        Transition("cancel", _QUEUED, JobState.CANCELLED, None),
        Transition("succeed", _RUNNING, JobState.SUCCEEDED, None),
        Transition("fail", _RUNNING, JobState.FAILED, None),
        Transition("stop", _RUNNING, JobState.CANCELLED, None),  # at a cancel request
        Transition("interrupt", _RUNNING, JobState.FAILED, None),  # its worker died
    ),
    state_of=lambda job: JobState(job.status),
    set_state=_set,
    key_of=lambda job: job.id,
    title_of=lambda job: f"job {job.id} ({job.kind})",
)

# how a worker's finishing status reads as a move
ENDINGS = {
    JobState.SUCCEEDED.value: "succeed",
    JobState.FAILED.value: "fail",
    JobState.CANCELLED.value: "stop",
}
