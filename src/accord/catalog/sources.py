"""Registering sources. Passwords leave the URL before anything is stored."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, can, check
from accord.catalog import secrets
from accord.catalog.models import SOURCE_KINDS, Source
from accord.errors import Conflict, NotFound, Problem, ValidationFailed

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def guess_kind(location: str) -> str:
    lowered = location.lower()
    if lowered.endswith((".json", ".yaml", ".yml")):
        return "openapi"
    if "://" in location:
        return "database"
    return "files"


def add_source(
    session: Session,
    actor: Actor,
    key: bytes,
    *,
    name: str,
    location: str,
    kind: str = "",
    password_env: str = "",
    description: str = "",
) -> Source:
    """Register a source; a password in a database URL is encrypted and removed from it."""
    check(actor, Action.MANAGE_SOURCES)
    kind = kind or guess_kind(location)
    problems: list[Problem] = []
    if not NAME.match(name):
        problems.append(Problem("name", "Use lower-case letters, digits, '-' or '_' (max 64)."))
    if kind not in SOURCE_KINDS:
        problems.append(Problem("kind", f"Choose one of: {', '.join(SOURCE_KINDS)}."))
    if password_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", password_env):
        problems.append(
            Problem("password_env", "Give an environment variable name, e.g. HR_DB_PASSWORD.")
        )
    stored, encrypted = location.strip(), ""
    if kind == "database":
        try:
            url = make_url(stored)
        except ArgumentError:
            problems.append(
                Problem("location", "Not a database URL (e.g. postgresql+psycopg://user@host/db).")
            )
        else:
            if _is_accord_itself(session, url):
                problems.append(
                    Problem("location", "This is Accord's own database; it cannot be a source.")
                )
            if url.password:
                encrypted = secrets.encrypt(key, str(url.password))
            # URL.set() treats None as "unchanged", so build the URL without a password.
            stored = URL.create(
                url.drivername, url.username, None, url.host, url.port, url.database, url.query
            ).render_as_string(hide_password=False)
    elif kind in ("files", "openapi") and not Path(stored).exists():
        problems.append(Problem("location", f"Nothing found at {stored}."))
    if problems:
        raise ValidationFailed(problems)
    if session.scalar(select(Source.id).where(Source.name == name)):
        raise Conflict(f"A source named {name} already exists.")
    source = Source(
        name=name,
        kind=kind,
        location=stored,
        secret_env=password_env,
        secret_encrypted=encrypted,
        description=description.strip(),
    )
    session.add(source)
    session.flush()
    audit.record(session, actor, "source.add", "source", source.id, after=describe(source))
    return source


def describe(source: Source) -> dict[str, object]:
    """The audit and API view of a source: whether a secret is held, never the secret."""
    return {
        "name": source.name,
        "kind": source.kind,
        "location": source.location,
        "password": "encrypted"
        if source.secret_encrypted
        else (f"from ${source.secret_env}" if source.secret_env else "none"),
    }


def _is_accord_itself(session: Session, url: URL) -> bool:
    """Registered as a source, Accord's own tables (users, audit log, tokens) would be
    harvested into the catalog and searchable by everyone."""
    own = session.get_bind().engine.url
    if url.get_backend_name() != own.get_backend_name() or not url.database:
        return False
    if own.get_backend_name() == "sqlite":
        return Path(url.database).resolve() == Path(str(own.database)).resolve()
    return _server(url) == _server(own)


def _server(url: URL) -> tuple[str, int | None, str | None]:
    host = "127.0.0.1" if url.host in (None, "localhost", "::1") else str(url.host)
    port = url.port or {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}.get(
        url.get_backend_name()
    )
    return host, port, url.database


HIDDEN = "shown to data engineers and administrators"


def source_facts(actor: Actor, source: Source) -> dict[str, object]:
    """What this actor may see of a source: its connection only if their roles allow."""
    if can(actor, Action.VIEW_CONNECTIONS):
        return describe(source)
    return {"name": source.name, "kind": source.kind, "location": HIDDEN, "password": HIDDEN}


def connection_details(session: Session, actor: Actor, name: str) -> dict[str, object]:
    """Where a source lives and how its password is held (never the password)."""
    check(actor, Action.VIEW_CONNECTIONS)
    return describe(get_source(session, actor, name))


def connection_url(source: Source, key: bytes) -> str:
    """The URL with its password put back, for the harvester only."""
    url = make_url(source.location)
    if source.secret_encrypted:
        url = url.set(password=secrets.decrypt(key, source.secret_encrypted))
    elif source.secret_env:
        url = url.set(password=secrets.from_environment(source.secret_env))
    return url.render_as_string(hide_password=False)


def list_sources(session: Session, actor: Actor) -> list[Source]:
    check(actor, Action.VIEW_CATALOG)
    return list(session.scalars(select(Source).order_by(Source.name)))


def source_ids(session: Session, actor: Actor) -> dict[str, int]:
    """Each source's id by name, in name order: what the catalog list's filter needs, without
    loading whole sources on every view of it."""
    check(actor, Action.VIEW_CATALOG)
    return {name: id_ for name, id_ in session.execute(_SOURCE_IDS)}


_SOURCE_IDS = select(Source.name, Source.id).order_by(Source.name)


def get_source(session: Session, actor: Actor, name: str) -> Source:
    check(actor, Action.VIEW_CATALOG)
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        raise NotFound(f"No source named {name!r}.")
    return source
