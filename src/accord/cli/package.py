"""`accord package`: what a recipient runs on the package they received.

No database and no sign-in: verifying is reading files. pyarrow loads inside the command, so
even `accord package --help` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.context import fail, out
from accord.errors import ValidationFailed

app = typer.Typer(help="Fulfillment packages: check one you received.", no_args_is_help=True)


@app.callback()
def package_group() -> None:
    """Fulfillment packages: check one you received."""  # keeps `verify` a subcommand


@app.command("verify")
def package_verify(
    path: Annotated[
        Path, typer.Argument(help="The package folder or its .zip.", exists=True, readable=True)
    ],
) -> None:
    """Check every file's size and SHA-256, SHA256SUMS, and each data file's rows and columns
    against the manifest; exit 2 and list every problem if anything differs."""
    from accord.fulfillment.verify import verify_package

    result = verify_package(path)
    if result.ok:
        out.print(
            f"Verified: {result.files} files, {result.rows:,} rows in {result.datasets} "
            f"dataset{'' if result.datasets == 1 else 's'}; every checksum matches."
        )
        return
    count = len(result.problems)
    fail(
        ValidationFailed(
            list(result.problems),
            f"{path} did not verify: {count} problem{'' if count == 1 else 's'}.",
        )
    )
