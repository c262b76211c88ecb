"""`accord` starts at once: the heavy modules load only in the commands that use them.

Start-up is measured as a ratio to a bare interpreter (`python -c pass`) on the same machine,
so the bound holds on a slow or busy CI runner; the module check is exact.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEAVY = (
    "numba",
    "scipy",
    "pandas",
    "numpy",
    "ibis",
    "duckdb",
    "sqlalchemy",
    "alembic",
    "openpyxl",
    "pydantic",
    "argon2",
    "accord.deid",
    "accord.proposals",
    "accord.catalog",
)
SRC = Path(__file__).resolve().parents[2] / "src"


def run(*code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, *code], capture_output=True, text=True, env=env, check=True
    )


def fastest(*args: str, times: int = 5) -> float:
    """The quickest of several runs: the others measure the machine's other work."""
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        run(*args)
        best = min(best, time.perf_counter() - start)
    return best


def test_importing_the_cli_loads_no_heavy_module() -> None:
    loaded = run(
        "-c",
        "import sys, accord.cli.main; "
        f"print(' '.join(m for m in {HEAVY!r} if any(k == m or k.startswith(m + '.') "
        "for k in sys.modules)))",
    ).stdout.split()
    assert loaded == []


@pytest.mark.parametrize("group", ["deid", "proposal", "package"])
def test_a_lazy_group_loads_when_used(group: str) -> None:
    shown = run("-m", "accord.cli", group, "--help").stdout
    assert f"accord.cli {group} [OPTIONS] COMMAND" in shown


def test_help_starts_within_a_few_bare_interpreters() -> None:
    bare = fastest("-c", "pass")
    cli = fastest("-m", "accord.cli", "--help")
    # typer and rich cost about 6-15 bare starts (more on a busy machine); importing the
    # services and the de-identification engine at start-up cost about 200
    assert cli / bare < 40, f"accord --help took {cli:.3f} s, python -c pass {bare:.3f} s"
