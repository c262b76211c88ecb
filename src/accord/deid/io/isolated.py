"""Run the engine in other processes, each run with a time limit.

A web server runs the de-identification engine (assess, release, audit) for whoever uploads
a table. The engine is CPU-bound Python and numba: in a thread it would hold the GIL the
server's other requests need, and a table crafted to be slow would hold it for as long as
it pleased. Here each run goes to a process of its own pool: the server's processes stay
free to answer, and a run past its time limit is stopped by ending its process (a thread
cannot be stopped), then replaced by a fresh one.

The functions a pool runs and their arguments and results cross a pipe: module-level
functions over paths and plain values, returning dataclasses and findings.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Runner(Protocol):
    """Runs ``fn(*args)`` somewhere and returns its result (or raises what it raised)."""

    def __call__(self, fn: Callable[..., T], /, *args: Any) -> T: ...


def inline(fn: Callable[..., T], /, *args: Any) -> T:
    """Run in the caller's thread: the CLI, tests, and a server configured without a pool."""
    return fn(*args)


class EngineUnavailable(Exception):
    """The run did not finish: past its time limit, the pool busy, or its process died."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


def _serve(conn: Connection, preload: tuple[str, ...]) -> None:
    """A pool process: run what arrives until the pipe closes (the server stopped)."""
    # Ctrl+C reaches the whole process group; the server decides when its pool stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for module in preload:
        importlib.import_module(module)
    conn.send("ready")  # a run's time limit does not count the seconds of these imports
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # handed back to the caller, who raises it
            reply = (False, exc)
        conn.send(reply)


class EnginePool:
    """``processes`` engine processes, started on first use, shared by the threads of one
    server process. A run waits for a free process, then gets ``seconds`` to finish.
    ``preload`` names the modules a new process imports before its first run."""

    STARTUP_SECONDS = 120.0  # importing numpy, numba and pyarrow on a busy machine

    def __init__(self, processes: int, seconds: float, preload: tuple[str, ...] = ()) -> None:
        self.seconds = seconds
        self.preload = preload
        # spawn, not fork: the server process has threads (and their locks) a fork would copy
        self._context = multiprocessing.get_context("spawn")
        self._free = threading.Semaphore(processes)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._all: list[_Worker] = []

    def __call__(self, fn: Callable[..., T], /, *args: Any) -> T:
        if not self._free.acquire(timeout=self.seconds):
            raise EngineUnavailable(
                f"The server is busy with other tables; nothing started within "
                f"{self.seconds:.0f} s. Try again later, or use `accord deid` on your machine."
            )
        try:
            worker = self._take()
            try:
                worker.conn.send((fn, args))
                if not worker.conn.poll(self.seconds):
                    self._end(worker)
                    raise EngineUnavailable(
                        f"The table took longer than {self.seconds:.0f} s and was stopped: "
                        "split it into smaller tables, or run `accord deid` on your machine."
                    )
                ok, value = worker.conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._end(worker)
                raise EngineUnavailable(
                    "The engine stopped unexpectedly (out of memory?); nothing was produced."
                ) from exc
            with self._lock:
                self._idle.append(worker)
        finally:
            self._free.release()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child, self.preload), name="accord-deid-engine", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        try:
            ready = parent.poll(self.STARTUP_SECONDS) and parent.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._end(worker)
            raise EngineUnavailable("The engine could not be started; nothing was produced.")
        with self._lock:
            self._all.append(worker)
        return worker

    def _end(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def close(self) -> None:
        """End every process (the server stops)."""
        with self._lock:
            workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.close()  # an idle process reads EOF and returns
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
