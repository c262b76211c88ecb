"""`accord package`: what a recipient runs on the package they received.

No database and no sign-in: verifying is reading files. pyarrow loads inside the command, so
even `accord package --help` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.context import fail, out
from accord.errors import ValidationFailed

if TYPE_CHECKING:
    from accord.fulfillment.verify import Verification

app = typer.Typer(help="Fulfillment packages: check one you received.", no_args_is_help=True)


@app.callback()
def package_group() -> None:
    """Fulfillment packages: check one you received."""  # keeps `verify` a subcommand


@app.command("verify")
def package_verify(
    path: Annotated[
        Path,
        typer.Argument(
            help="The package folder, its .zip, or its .zip.age (with --identity).",
            exists=True,
            readable=True,
        ),
    ],
    identity: Annotated[
        Path | None,
        typer.Option(
            help="For an encrypted package: your age identity file or OpenSSH private key.",
            exists=True,
            readable=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check every file's size and SHA-256, SHA256SUMS, and each data file's rows and columns
    against the manifest; exit 2 and list every problem if anything differs."""
    import tempfile

    from accord.fulfillment.verify import verify_package

    if path.suffix == ".age":
        if identity is None:
            fail(ValidationFailed([], f"{path.name} is encrypted: give --identity KEYFILE."))
        from accord.fulfillment.encryption import decrypt_package

        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / path.stem
            try:
                decrypt_package(path, identity, plain)
            except Exception as exc:  # pyrage's errors have no common base but Exception
                fail(ValidationFailed([], f"{path.name} cannot be decrypted with that key: {exc}"))
            _report(path, verify_package(plain))
        return
    _report(path, verify_package(path))


def _report(path: Path, result: Verification) -> None:
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
