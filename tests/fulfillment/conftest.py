"""Fixtures for delivery tests: a client key pair and real SFTP servers started on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.sftp_server import SftpTestServer

PASSWORD = "correct horse battery staple"
UPLOAD_DIR = "incoming"  # the recipient's folder, under the server's root

StartServer = Callable[..., SftpTestServer]


@pytest.fixture(scope="session")
def client_key() -> asyncssh.SSHKey:
    """One key pair for the session: generating keys is the slow part of a test."""
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def start_sftp_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start a server (options as ``SftpTestServer``) with an ``incoming`` folder; every one
    started is stopped at the end of the test."""
    started: list[SftpTestServer] = []

    def start(**options: object) -> SftpTestServer:
        root = tmp_path / f"sftp-root-{len(started)}"
        (root / UPLOAD_DIR).mkdir(parents=True)
        server = SftpTestServer(root, **options)  # type: ignore[arg-type]
        server.__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sftp_server(start_sftp_server: StartServer, client_key: asyncssh.SSHKey) -> SftpTestServer:
    """A server accepting both the test password and the test client key."""
    return start_sftp_server(password=PASSWORD, client_key=client_key)
