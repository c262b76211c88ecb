"""Settings: the one place where Accord's defaults live.

Values come from the environment (``ACCORD_*``) or a ``.env`` file in the working directory.
The secret key is never stored in the repository: when none is given, one is generated on
first use and kept in the data directory, readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name
AUDIT_HEAD_FILE = "audit-head.log"


class IdentityProvider(BaseModel):
    """A department's OpenID Connect provider (Entra ID, Okta, Login.gov, ...).

    Listed in ``ACCORD_IDENTITY_PROVIDERS`` as JSON. The client secret is not part of that
    list: it is read from ``ACCORD_OIDC_<NAME>_CLIENT_SECRET`` (name upper-cased, ``-`` as
    ``_``), so the list can live in a deployment's files and the secret in its secret store.
    A provider without a secret is used as a public client (PKCE alone), as Login.gov allows.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="Used in URLs.")
    label: str = Field(min_length=1, description='Shown as "Sign in with <label>".')
    issuer: str = Field(description="The issuer URL; the ID token's iss must equal it.")
    discovery_url: str = Field(
        default="", description="Defaults to <issuer>/.well-known/openid-configuration."
    )
    client_id: str = Field(min_length=1)
    client_secret: SecretStr = Field(
        default=SecretStr(""), description="Better given as ACCORD_OIDC_<NAME>_CLIENT_SECRET."
    )
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    groups_claim: str = Field(default="groups", description="The claim listing the groups.")
    username_claim: str = Field(
        default="preferred_username", description="Suggests the local username of new users."
    )
    department: str = Field(description="Code of the department this provider's users join.")

    @field_validator("issuer", "discovery_url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        # tokens and keys fetched over plain HTTP could be swapped on the way; only a
        # provider on this machine (a test or a local proxy) may do without TLS
        parts = urlsplit(url)
        loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        secure = parts.scheme == "https" or (parts.scheme == "http" and loopback)
        if url and not (secure and parts.hostname):
            raise ValueError("must be an https:// URL (http:// only on loopback)")
        return url

    @property
    def resolved_discovery_url(self) -> str:
        return self.discovery_url or (
            self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )

    def secret(self) -> str:
        given = self.client_secret.get_secret_value()
        variable = f"ACCORD_OIDC_{self.name.upper().replace('-', '_')}_CLIENT_SECRET"
        return given or os.environ.get(variable, "")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(default=Path("data"), description="Files, demo sources, the key.")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; SQLite in data_dir if empty."
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""), description="Keys the audit chain; generated if empty."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Web server processes `accord serve` starts (default: CPUs, at most 4).",
    )
    web_threads: int = Field(
        default=8,
        ge=2,
        le=200,
        description="Requests one web process runs at once (each in a thread with a database "
        "connection); more threads in one process mostly wait for each other (the GIL).",
    )
    db_connections: int = Field(
        default=60,
        ge=4,
        description="Database connections the web server may hold, its processes together "
        "(PostgreSQL allows 100 by default; the job worker and the CLI need some too).",
    )
    session_hours: int = Field(default=8, ge=1)
    secure_cookies: bool = Field(default=False, description="Set behind HTTPS.")
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_max_client_failures: int = Field(
        default=50, ge=1, description="Failed sign-ins from one address, across usernames."
    )
    identity_providers: tuple[IdentityProvider, ...] = Field(
        default=(), description="OpenID Connect providers offered on the sign-in page (JSON)."
    )
    password_sign_in: Literal["everyone", "break_glass"] = Field(
        default="everyone",
        description="'break_glass': only the administrators in break_glass_admins may sign in "
        "with a local password; everyone else signs in through an identity provider.",
    )
    break_glass_admins: tuple[str, ...] = Field(
        default=(), description="Usernames of the administrators kept for break-glass sign-in."
    )
    public_url: str = Field(
        default="",
        description="Accord's address as browsers see it (for the identity provider's "
        "redirect); taken from each request if empty.",
    )
    deid_processes: int = Field(
        default=1,
        ge=0,
        le=32,
        description="Processes each web process runs the de-identification engine in "
        "(0: in the request's thread, which a slow table then holds).",
    )
    deid_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Time limit of one engine run on the server (assess, release, audit); "
        "`accord deid` on the command line has none.",
    )
    max_request_mb: int = Field(default=25, ge=1, description="Largest accepted request body.")
    job_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle worker looks for queued jobs."
    )
    job_heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a worker says it is still running a job."
    )
    job_stale_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A running job without a heartbeat for this long is marked failed.",
    )
    fulfillment_engine: Literal["source", "spark"] = Field(
        default="source",
        description="Where fulfillment runs compute: the engine that holds the data, or Spark "
        "(ACCORD_SPARK_MASTER or ACCORD_SPARK_REMOTE say which).",
    )
    job_periodic_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often each worker starts scheduled deliveries that are due.",
    )

    @model_validator(mode="after")
    def _stale_after_several_beats(self) -> Settings:
        if self.job_stale_seconds < 2 * self.job_heartbeat_seconds:
            raise ValueError("job_stale_seconds must be at least twice job_heartbeat_seconds")
        return self

    @model_validator(mode="after")
    def _providers_named_once(self) -> Settings:
        names = [p.name for p in self.identity_providers]
        if len(names) != len(set(names)):
            raise ValueError("identity_providers: each provider needs a name of its own")
        return self

    @property
    def password_allowed_only_for(self) -> tuple[str, ...] | None:
        """The usernames that may still use a local password, or None for everyone."""
        everyone = self.password_sign_in == "everyone"  # noqa: S105 - a mode, not a password
        return None if everyone else self.break_glass_admins

    def identity_provider(self, name: str) -> IdentityProvider | None:
        return next((p for p in self.identity_providers if p.name == name), None)
    @property
    def threads_per_worker(self) -> int:
        """Requests one web process runs at once, and so its pool's size (a request holds
        one connection for its whole life): ``web_threads``, or less when the processes
        together would hold more than ``db_connections``."""
        return max(2, min(self.web_threads, self.db_connections // self.web_workers))

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.sqlite').resolve()}"

    @property
    def audit_head_file(self) -> Path:
        """Where the audit chain's head is anchored outside the database (append-only)."""
        return self.data_dir / AUDIT_HEAD_FILE

    @cached_property
    def key(self) -> bytes:
        """The secret key, generated and stored owner-only on first use if none was given."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        return load_or_create_key(self.data_dir / SECRET_KEY_FILE)


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL: if two processes start together, one creates the file and the other reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def get_settings() -> Settings:
    return Settings()
