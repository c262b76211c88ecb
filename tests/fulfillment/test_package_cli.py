from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app
from accord.fulfillment.package import PackageResult

SRC = Path(__file__).resolve().parents[2] / "src"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.output


def test_verify_a_good_package(package: PackageResult) -> None:
    for path in (package.path, package.zip_path):
        code, out = run("package", "verify", str(path))
        assert code == 0, out
        assert "Verified: 12 files, 8 rows in 2 datasets" in out


def test_verify_lists_every_problem_and_exits_2(package: PackageResult) -> None:
    (package.path / "README.md").write_text("changed", "utf-8")
    (package.path / "data" / "extra.csv").write_text("a\n", "utf-8")
    code, out = run("package", "verify", str(package.path))
    assert code == 2  # ValidationFailed, as every command exits for refused input
    assert "did not verify: 4 problems" in out
    assert "README.md: has 7 bytes" in out and "data/extra.csv: is not listed" in out


def test_verify_a_path_that_does_not_exist(tmp_path: Path) -> None:
    code, out = run("package", "verify", str(tmp_path / "nothing"))
    assert code == 2 and "does not exist" in out


def test_the_package_group_loads_no_pyarrow_until_it_verifies() -> None:
    code = (
        "import sys; from accord.cli.lazy import LazyGroup, LAZY; "
        "LazyGroup('package', *LAZY['package']).real(); "
        "print(any(m == 'pyarrow' or m.startswith('pyarrow.') for m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert shown.stdout.strip() == "False"
