"""Writers and readers at once against a real `accord serve` on the embedded default (SQLite).

8 threads each send 25 PATCH /api/v1/datasets/{id} (the inventory edit of issue 15's report)
while 16 threads read the dataset; every answer's status is counted. Baseline in the same run:
the same number of GET /health requests, which touch no database.

    python bench/concurrent_writes_bench.py [--writers 8] [--each 25] [--readers 16]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from accord.auth.actor import Actor
from accord.auth.tokens import create_token
from accord.auth.users import create_user, get_user
from accord.config import Settings
from accord.db.engine import transaction


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.key.decode(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # the first start seeds the demo department
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/datasets", timeout=5).status_code in (200, 401):
                return process, base
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start")


def hammer(
    base: str, token: str, threads: int, each: int, request: str, path: str
) -> tuple[Counter[str], list[float]]:
    statuses: Counter[str] = Counter()
    times: list[float] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for i in range(each):
                began = time.perf_counter()
                try:
                    if request == "PATCH":
                        answer = client.patch(path, json={"description": f"edit {n}-{i}"})
                    else:
                        answer = client.get(path)
                    status = str(answer.status_code)
                except httpx.TransportError as exc:
                    status = type(exc).__name__
                with lock:
                    statuses[status] += 1
                    times.append(time.perf_counter() - began)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return statuses, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--each", type=int, default=25)
    parser.add_argument("--readers", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{folder / 'accord.db'}", data_dir=folder,
        secret_key="bench-" + "x" * 40, _env_file=None,  # type: ignore[call-arg]
    )
    process, base = start(settings)
    try:
        with transaction(settings) as session:
            create_user(session, Actor.system(), username="bench", full_name="Bench",
                        password="bench-password-long", department_code="CDW",
                        roles=["data_coordinator"])
        with transaction(settings) as session:
            token = create_token(session, Actor.system(), get_user(session, "bench"),
                                 name="bench", days=1)[1]
        dataset = httpx.get(f"{base}/api/v1/datasets", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}).json()[0]["id"]
        path = f"/api/v1/datasets/{dataset}"
        base_status, base_times = hammer(base, token, args.writers, args.each, "GET", "/health")
        results: dict[str, tuple[Counter[str], list[float]]] = {}

        def run(name: str, threads: int, method: str) -> None:
            results[name] = hammer(base, token, threads, args.each, method, path)

        began = time.perf_counter()
        both = [threading.Thread(target=run, args=("writes", args.writers, "PATCH")),
                threading.Thread(target=run, args=("reads", args.readers, "GET"))]
        for t in both:
            t.start()
        for t in both:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)

    def p(times: list[float], q: float) -> float:
        return statistics.quantiles(times, n=100)[q - 1] * 1000 if len(times) > 1 else 0.0

    base_p50 = p(base_times, 50)
    print(f"baseline GET /health x{sum(base_status.values())}: {dict(base_status)}, "
          f"p50 {base_p50:.1f} ms")
    for name, (statuses, times) in results.items():
        print(f"{name}: {dict(statuses)}; p50 {p(times, 50):.0f} ms, p95 {p(times, 95):.0f} ms "
              f"(p50 x{p(times, 50) / base_p50:.1f} the baseline)")
    total = sum(sum(s.values()) for s, _ in results.values())
    print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} per second")


if __name__ == "__main__":
    main()
