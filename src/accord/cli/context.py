"""Who the CLI acts as, and how service errors become messages and exit codes.

Imported by every command module, so it imports only typer and rich at the top: the database,
the settings and the services load when a command runs, and `accord --help` starts at once
(tests/cli/test_startup.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from accord.errors import (
    AccordError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.orm import Session

    from accord.auth.actor import Actor
    from accord.config import Settings

AsUser = Annotated[
    str | None,
    typer.Option("--as", envvar="ACCORD_USER", help="Act as this user (or set ACCORD_TOKEN)."),
]

err = Console(stderr=True)
out = Console()


def progress_bar() -> Progress:
    """A bar on stderr that goes when done: description, bar, done of total, time taken.
    rich.progress loads here, when a long command starts, not with every command."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=err, transient=True)


EXIT_CODES: dict[type[AccordError], int] = {
    ValidationFailed: 2,
    NotAuthenticated: 3,
    PermissionDenied: 3,
    NotFound: 4,
}
INVALID_TRANSITION_EXIT = 5  # accord.lifecycle.InvalidTransition, imported when it happens


def resolve_actor(session: Session, as_user: str | None) -> Actor:
    """ACCORD_TOKEN, else --as (an operator with database access), else the installer.

    The installer (system) identity is only given while no user exists, so the first admin
    can be created; after that every command names who runs it and is checked like the web.
    """
    from sqlalchemy import select

    from accord.auth.actor import Actor, actor_for
    from accord.auth.models import User
    from accord.auth.tokens import resolve_token
    from accord.auth.users import get_user

    token = os.environ.get("ACCORD_TOKEN")
    if token:
        return resolve_token(session, token, via="cli")
    if as_user:
        user = get_user(session, as_user)
        if not user.is_active:
            raise NotAuthenticated(f"User {user.username} is disabled.")
        return actor_for(user, via="cli")
    if session.scalar(select(User.id).limit(1)) is None:
        return Actor.system()
    raise NotAuthenticated("Say who you are: --as USERNAME, or set ACCORD_TOKEN.")


@contextmanager
def unit_of_work(as_user: str | None = None) -> Iterator[tuple[Session, Actor, Settings]]:
    """A transaction with the acting user; errors are printed and end the command."""
    from sqlalchemy.exc import DataError

    from accord.config import get_settings
    from accord.db.engine import transaction
    from accord.db.revisions import pending_revisions

    settings = get_settings()
    try:
        if pending_revisions(settings.resolved_database_url):
            raise ValidationFailed([], "The database is not up to date: run `accord db upgrade`.")
        with transaction(settings) as session:
            yield session, resolve_actor(session, as_user), settings
    except AccordError as exc:
        fail(exc)
    except DataError:
        fail(
            ValidationFailed(
                [],
                "A value cannot be stored: it is too long, out of range, or "
                "contains a NUL character. Nothing was saved.",
            )
        )


def fail(exc: AccordError) -> NoReturn:
    err.print(f"[bold red]Error:[/] {exc.message}")
    if isinstance(exc, ValidationFailed):
        for problem in exc.problems:
            err.print(f"  - {problem.field}: {problem.message}")
    from accord.lifecycle import InvalidTransition

    codes = {**EXIT_CODES, InvalidTransition: INVALID_TRANSITION_EXIT}
    code = next((c for kind, c in codes.items() if isinstance(exc, kind)), 1)
    raise typer.Exit(code)
