"""Readers and writers at once against a real `accord serve`, on SQLite and PostgreSQL, at
one web process and at the default; loopback only, bounded in time.

64 signed-in readers (session cookies, 8 sessions) fetch the catalog, a dataset, a field
and a search page in turn while 16 writers PATCH datasets through the API with a token.
Each route's requests per second, p50 / p95 / p99 and errors are printed, and the ratio of
its p50 to a bare Starlette "hello" route served the same way (uvicorn, same process count)
loaded by the same 64 readers in the same run. The demo department is seeded first; on
PostgreSQL into a scratch database created and dropped here.

    python bench/load_bench.py [--seconds 15] [--backends sqlite,postgresql] [--workers 1,2]

Targets (issue 15): no errors; p95 ≤ 200 ms for catalog, dataset and search pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.auth.actor import Actor
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import get_engine, transaction

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get(
    "ACCORD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "wellness-demo"
READER_USERS = (
    "steward",
    "coordinator",
    "engineer",
    "privacy",
    "owner",
    "legal",
    "admin",
    "auditor",
)
SEARCHES = ("county", "date", "income", "steps", "birth", "program", "zip", "visit")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET_ROUTES = ("catalog", "dataset", "search")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}) before answering")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def accord_server(settings: Settings, workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.key.decode(),
        # sign-ins of 8 sessions from one address must not be throttled
        "ACCORD_LOGIN_MAX_CLIENT_FAILURES": "1000",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accord.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(process, f"http://127.0.0.1:{port}/health", 900)  # first start seeds
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@contextmanager
def hello_server(workers: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.hello_app:create",
            "--factory",
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
    )
    try:
        wait_until_up(process, f"http://127.0.0.1:{port}/", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, route: str, began: float, status: str, ok: bool) -> None:
        self.times[route].append(time.perf_counter() - began)
        if not ok:
            self.errors[route] += 1
            self.kinds[route].add(status)


def sign_in(base: str, username: str) -> str:
    """A session cookie of ``username``, as a Cookie header."""
    with httpx.Client(base_url=base, timeout=60) as client:
        match = CSRF.search(client.get("/login").text)
        assert match, "no CSRF token on /login"
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)},
        )
        if answer.status_code != 303:
            raise SystemExit(f"sign-in of {username} failed: {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def _timed(
    tally: Tally, measuring: asyncio.Event, route: str, call: Callable[[], Any]
) -> None:
    began = time.perf_counter()
    try:
        async with call() as answer:
            await answer.read()
            status, ok = str(answer.status), answer.status == 200
    except (TimeoutError, aiohttp.ClientError) as exc:
        status, ok = type(exc).__name__, False
    if measuring.is_set():
        tally.add(route, began, status, ok)


async def run_load(
    base: str,
    token: str,
    targets: dict[str, list],
    seconds: float,
    readers: int,
    writers: int,
) -> tuple[Tally, float]:
    """The readers and writers for ``seconds`` after 2 s of warm-up. aiohttp, not httpx: at
    64 connections httpx's pool, not the server, was the limit (23 requests per second to a
    bare route that aiohttp drives at 300 on the same machine)."""
    tally = Tally()
    cookies = [sign_in(base, u) for u in READER_USERS]
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=readers + writers)
    http = aiohttp.ClientSession(base, connector=connector, timeout=timeout)
    by_kind: dict[str, list[str]] = {
        "catalog": ["/catalog"],
        "dataset": targets["dataset"],
        "field": targets["field"],
        "search": [f"/catalog/search?q={q}" for q in SEARCHES],
    }
    kinds = list(by_kind)
    measuring = asyncio.Event()
    ending = time.perf_counter() + 2 + seconds

    async def read(n: int) -> None:
        headers = {"Cookie": cookies[n % len(cookies)]}
        i = n
        while time.perf_counter() < ending:
            kind = kinds[i % len(kinds)]
            path = by_kind[kind][(i // len(kinds)) % len(by_kind[kind])]
            i += 1
            await _timed(tally, measuring, kind, partial(http.get, path, headers=headers))

    async def write(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        ids = targets["dataset_ids"]
        i = 0
        while time.perf_counter() < ending:
            path = f"/api/v1/datasets/{ids[(n + i) % len(ids)]}"
            body = {"description": f"Edited by writer {n}, edit {i}."}
            i += 1
            await _timed(
                tally,
                measuring,
                "write (PATCH dataset)",
                partial(http.patch, path, json=body, headers=headers),
            )

    async def start_measuring() -> None:
        await asyncio.sleep(2)
        measuring.set()

    started = time.perf_counter()
    await asyncio.gather(
        start_measuring(), *[read(n) for n in range(readers)], *[write(n) for n in range(writers)]
    )
    elapsed = time.perf_counter() - started - 2
    await http.close()
    return tally, elapsed


async def run_hello(base: str, seconds: float, readers: int) -> tuple[Tally, float]:
    """The same readers, the same client, on the bare route."""
    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=60)
    http = aiohttp.ClientSession(
        base, connector=aiohttp.TCPConnector(limit=readers), timeout=timeout
    )
    ending = time.perf_counter() + 1 + seconds
    measuring = asyncio.Event()

    async def read() -> None:
        while time.perf_counter() < ending:
            await _timed(tally, measuring, "hello", partial(http.get, "/"))

    async def start_measuring() -> None:
        await asyncio.sleep(1)
        measuring.set()

    started = time.perf_counter()
    await asyncio.gather(start_measuring(), *[read() for _ in range(readers)])
    elapsed = time.perf_counter() - started - 1
    await http.close()
    return tally, elapsed


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(
    title: str, tally: Tally, elapsed: float, hello: Tally, hello_elapsed: float
) -> list[str]:
    base = hello.times["hello"]
    base_p50 = statistics.median(base) if base else float("nan")
    base_rps = len(base) / hello_elapsed
    lines = [
        f"\n{title}",
        f"{'route':24} {'n':>6} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'p50/hello':>10}",
    ]
    missed = []
    for route, times in [*tally.times.items(), ("hello (baseline)", base)]:
        if not times:
            continue
        p50, p95, p99 = (quantile(times, q) * 1000 for q in (0.5, 0.95, 0.99))
        errs = hello.errors["hello"] if route.startswith("hello") else tally.errors[route]
        secs = hello_elapsed if route.startswith("hello") else elapsed
        ratio = statistics.median(times) / base_p50
        kinds = f" {sorted(tally.kinds[route])}" if tally.kinds.get(route) else ""
        lines.append(
            f"{route:24} {len(times):6d} {len(times) / secs:7.1f} {p50:8.1f} {p95:8.1f} "
            f"{p99:8.1f} {errs:7d} {ratio:9.1f}x{kinds}"
        )
        if route in TARGET_ROUTES and p95 > 200:
            missed.append(f"{route} p95 {p95:.0f} ms > 200")
        if errs and not route.startswith("hello"):
            missed.append(f"{route}: {errs} errors")
    total = sum(len(t) for t in tally.times.values())
    lines.append(
        f"all accord requests: {total / elapsed:.1f} rps; hello alone: {base_rps:.1f} rps "
        f"(ratio {total / elapsed / base_rps:.2f})"
    )
    lines.append("targets met" if not missed else "targets missed: " + "; ".join(missed))
    return lines


def scratch_settings(backend: str, folder: Path) -> tuple[Settings, str | None]:
    url, scratch = f"sqlite:///{folder / 'accord.sqlite'}", None
    if backend == "postgresql":
        scratch = f"accord_load_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        admin.dispose()
        url = make_url(PG_SERVER).set(database=scratch).render_as_string(hide_password=False)
    settings = Settings(
        database_url=url, data_dir=folder, secret_key="bench-" + "x" * 40, _env_file=None
    )  # type: ignore[call-arg]
    return settings, scratch


def drop_scratch(settings: Settings, scratch: str | None) -> None:
    get_engine(settings.resolved_database_url).dispose()
    if scratch is None:
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


def targets_of(base: str, token: str) -> dict[str, list]:
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{base}/api/v1/datasets", headers=headers, timeout=60).json()
    ids = [d["id"] for d in listed][:16]
    fields: list[str] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        match = CSRF.search(client.get("/login").text)
        assert match, "no CSRF token on /login"
        client.post(
            "/login",
            data={"username": "steward", "password": PASSWORD, "csrf_token": match.group(1)},
        )
        for dataset in ids[:4]:
            page = client.get(f"/catalog/datasets/{dataset}").text
            fields += sorted(set(re.findall(r'href="(/catalog/fields/\d+)"', page)))[:2]
    return {
        "dataset_ids": ids,
        "dataset": [f"/catalog/datasets/{i}" for i in ids[:8]],
        "field": fields or [f"/catalog/datasets/{ids[0]}"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--readers", type=int, default=64)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default=f"1,{Settings(_env_file=None).web_workers}")  # type: ignore[call-arg]
    args = parser.parse_args()
    worker_counts = sorted({int(w) for w in args.workers.split(",")})
    lines: list[str] = []
    missed = False
    for backend in args.backends.split(","):
        folder = Path(tempfile.mkdtemp(prefix=f"accord-load-{backend}-"))
        log = folder / "server.log"
        settings, scratch = scratch_settings(backend, folder)
        try:
            for workers in worker_counts:
                began = time.perf_counter()
                with accord_server(settings, workers, log) as base:
                    up = time.perf_counter() - began
                    print(f"{backend}, {workers} process(es): up in {up:.0f} s", flush=True)
                    with transaction(settings) as session:
                        token = create_token(
                            session,
                            Actor.system(),
                            get_user(session, "coordinator"),
                            name="load bench",
                            days=1,
                        )[1]
                    targets = targets_of(base, token)
                    tally, elapsed = asyncio.run(
                        run_load(base, token, targets, args.seconds, args.readers, args.writers)
                    )
                with hello_server(workers) as base:
                    hello, hello_elapsed = asyncio.run(
                        run_hello(base, min(args.seconds, 8), args.readers)
                    )
                title = (
                    f"{backend}, {workers} web process(es), {args.readers} readers + "
                    f"{args.writers} writers, {elapsed:.0f} s"
                )
                block = report(title, tally, elapsed, hello, hello_elapsed)
                missed |= block[-1] != "targets met"
                print("\n".join(block), flush=True)
                lines += block
        finally:
            drop_scratch(settings, scratch)
            shutil.rmtree(folder, ignore_errors=True)
    print("\n=== summary ===" + "\n".join(lines))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
