"""``accord worker``: run persisted jobs (harvests today) until stopped.

The job kinds a worker runs are those registered by the modules imported here; the jobs
package itself knows none of them.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from accord.cli.context import err

# Importing these registers their job kinds and periodic tasks.
JOB_MODULES = (
    "accord.catalog.harvest.runs",
    "accord.fulfillment.runs",
    "accord.fulfillment.deliveries",
    "accord.fulfillment.schedule",
    "accord.proposals.expiry",
)


def load_job_kinds() -> None:
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)


def worker(
    parent: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when this process (accord serve) is gone."),
    ] = None,
) -> None:
    """Run queued jobs (harvests, fulfillments, deliveries) and scheduled deliveries until
    stopped; `accord serve` starts one for you."""
    from accord.config import get_settings
    from accord.jobs.worker import run_worker

    settings = get_settings()
    load_job_kinds()
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def alive() -> bool:
        return parent is None or os.getppid() == parent

    run_worker(settings, stopping, alive=alive, announce=err.print)
    err.print("Worker stopped.")


def register(app: typer.Typer) -> None:
    app.command()(worker)
