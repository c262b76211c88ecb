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

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name


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

    @model_validator(mode="after")
    def _stale_after_several_beats(self) -> Settings:
        if self.job_stale_seconds < 2 * self.job_heartbeat_seconds:
            raise ValueError("job_stale_seconds must be at least twice job_heartbeat_seconds")
        return self

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
