"""`accord` starts at once: the heavy modules load only in the commands that use them.

Start-up is measured as a ratio to a bare interpreter (`python -c pass`) on the same machine,
so the bound holds on a slow or busy CI runner; the module checks are exact.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENGINES = ("numba", "scipy", "pandas", "numpy", "ibis", "duckdb")  # the data engines
HEAVY = (
    *ENGINES,
    "sqlalchemy",
    "alembic",
    "openpyxl",
    "pydantic",
    "argon2",
    "accord.deid",
    "accord.proposals",
    "accord.catalog",
)
# what a command that only reads the application database has no use for: the migrations
# (Alembic, Mako) are checked without loading Alembic, and no capability beyond auth loads
NOT_FOR_LISTING_USERS = (
    *ENGINES,
    "alembic",
    "mako",
    "openpyxl",
    "fastapi",
    "accord.deid",
    "accord.proposals",
    "accord.catalog",
    "accord.fulfillment",
    "accord.web",
)
SRC = Path(__file__).resolve().parents[2] / "src"


def run(*code: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python *code`` with this tree's sources; with ``data_dir``, an installation there
    (SQLite, run from that folder so that no .env or user of the caller's applies)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    if data_dir is not None:
        env = {k: v for k, v in env.items() if not k.startswith("ACCORD_")}
        env["ACCORD_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, *code], capture_output=True, text=True, env=env, check=True, cwd=data_dir
    )


def fastest(*args: str, times: int = 5, data_dir: Path | None = None) -> float:
    """The quickest of several runs: the others measure the machine's other work."""
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        run(*args, data_dir=data_dir)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A data folder whose database is migrated (no user yet: commands act as the installer)."""
    run("-m", "accord.cli", "db", "upgrade", data_dir=tmp_path)
    return tmp_path


def loaded_by(names: tuple[str, ...], *command: str, data_dir: Path) -> list[str]:
    """Which of ``names`` (or their submodules) are imported once ``accord *command`` ran."""
    code = (
        "import sys\n"
        "from accord.cli.main import app\n"
        "try:\n"
        f"    app({list(command)!r}, prog_name='accord')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print(' '.join(m for m in {names!r} if any(k == m or k.startswith(m + '.') "
        "for k in sys.modules)), file=sys.stderr)"
    )
    return run("-c", code, data_dir=data_dir).stderr.split()


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


@pytest.mark.parametrize("command", [["deid", "--help"], ["deid", "release", "--help"]])
def test_the_help_of_the_deid_group_loads_no_engine(command: list[str], tmp_path: Path) -> None:
    # the engine took over a second to load for a page of help
    assert loaded_by((*ENGINES, "openpyxl"), *command, data_dir=tmp_path) == []


def test_no_command_s_help_loads_the_database_layer(tmp_path: Path) -> None:
    """`accord proposal --help` took 0.87 s and `accord group-roles --help` 0.65 s (0.22 s
    for `accord --help`): their modules imported the services, and with them SQLAlchemy."""
    listing = run(
        "-c",
        "import typer; from accord.cli.main import app; "
        "print(*typer.main.get_command(app).list_commands(None))",
    ).stdout.split()
    assert {"proposal", "group-roles", "deid", "user"} <= set(listing)
    heavy = {
        command: found
        for command in listing
        if (
            found := loaded_by(
                ("sqlalchemy", "accord.catalog"), command, "--help", data_dir=tmp_path
            )
        )
    }
    assert heavy == {}


def test_help_starts_within_a_few_bare_interpreters() -> None:
    bare = fastest("-c", "pass")
    cli = fastest("-m", "accord.cli", "--help")
    # typer and rich cost about 6-15 bare starts (more on a busy machine); importing the
    # services and the de-identification engine at start-up cost about 200
    assert cli / bare < 40, f"accord --help took {cli:.3f} s, python -c pass {bare:.3f} s"


def test_listing_users_loads_neither_alembic_nor_other_capabilities(installed: Path) -> None:
    assert loaded_by(NOT_FOR_LISTING_USERS, "user", "list", data_dir=installed) == []


def test_listing_users_starts_within_a_few_dozen_bare_interpreters(installed: Path) -> None:
    bare = fastest("-c", "pass")
    listing = fastest("-m", "accord.cli", "user", "list", data_dir=installed)
    # SQLAlchemy with its ORM, pydantic-settings, typer and rich are most of it (about 30-60
    # bare starts, more on a busy machine); Alembic's migration check added about 15 and the
    # de-identification engine about 100. The module check above is the exact guard.
    assert listing / bare < 120, f"accord user list took {listing:.3f} s, bare {bare:.3f} s"
