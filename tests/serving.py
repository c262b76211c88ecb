"""`accord serve` as a real process tree on a free port, for tests that need real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from accord.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.key.decode(),
        "ACCORD_JOB_POLL_SECONDS": "0.2",
        **extra,
    }


@contextmanager
def running_server(settings: Settings, *args: str, **env: str) -> Iterator[Server]:
    """``accord serve --no-demo ARGS`` until the block ends; then SIGTERM, as a supervisor
    stops it, and every process must be gone within 10 s."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--port", str(port), "--no-demo", *args],
        env=server_env(settings, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"server did not start:\n{output}")
            time.sleep(0.1)
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc, as ps does)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":  # a zombie has ended; only its parent's wait is missing
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found
