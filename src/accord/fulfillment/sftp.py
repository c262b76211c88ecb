"""Delivering a finished package to a recipient's SFTP server.

Job workers are synchronous, so ``upload`` and ``check_target`` are plain functions that run
asyncssh's event loop for the length of one call; each call has its own loop, which makes them
safe to call from any thread.

What a recipient sees is all or nothing: bytes go to a dot-named ``.<name>.part`` file that
their pick-up scripts ignore, and only a complete file is renamed to its final name. The server
is trusted only when it presents the host key recorded for the destination; an unknown key is
never accepted, because a package of health data must not reach an impostor.
"""

from __future__ import annotations

import asyncio
import posixpath
import secrets
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from accord.fulfillment.errors import DeliveryFailed
from accord.fulfillment.sftp_errors import connect_failure, transfer_failure

T = TypeVar("T")

# Bytes per write: small enough that progress (and so a cancel) is heard often.
CHUNK = 256 * 1024
# Errors a remote operation can end with; anything else is a bug and is not dressed up.
REMOTE_ERRORS = (asyncssh.Error, OSError, asyncio.TimeoutError)


@dataclass(frozen=True, kw_only=True)
class SftpTarget:
    """Where a package goes, with the credentials already decrypted.

    The credentials are left out of ``repr`` so that a target can appear in a log line or a
    traceback without leaking them. Give a private key, a password or both (the key is tried
    first).
    """

    host: str
    port: int = 22
    username: str
    remote_dir: str
    host_key: str  # the server's public host key, OpenSSH format ("ssh-ed25519 AAAA...")
    private_key: str | None = field(default=None, repr=False)  # OpenSSH/PEM, no passphrase
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class UploadReceipt:
    """What was delivered, kept with the fulfillment as the proof of delivery."""

    remote_path: str
    size: int  # bytes on the server, equal to the local file's
    sha256: str  # the checksum we recorded for the package (not recomputed remotely)
    host_key_fingerprint: str  # "SHA256:..." of the key the server proved it holds
    started_at: datetime
    finished_at: datetime


def upload(
    target: SftpTarget,
    local: Path,
    *,
    remote_name: str,
    sha256: str,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 15,
) -> UploadReceipt:
    """Deliver ``local`` as ``remote_dir/remote_name``; never overwrite a delivered file.

    The remote copy is checked by size only: SFTP has no standard way to hash a file on the
    server and we do not rely on a shell there. The receipt carries our recorded ``sha256`` so
    the recipient can verify the package against it.

    ``progress(done, total)`` is called after each chunk; if it raises (``JobCancelled``), the
    partial upload is removed and the exception is re-raised unchanged. Every other failure
    raises ``DeliveryFailed`` with a plain reason, after which no file named ``remote_name``
    exists; the ``.part`` file is removed whenever the connection still allows it (a dropped
    connection can leave one behind, under its dot-name only).
    """
    if "/" in remote_name or remote_name.startswith(".") or not remote_name:
        raise DeliveryFailed(f"{remote_name!r} is not a plain file name for the delivery.")
    try:
        size = local.stat().st_size
    except OSError as exc:
        raise DeliveryFailed(f"The package file {local.name} cannot be read.") from exc
    return _run(lambda: _upload(target, local, size, remote_name, sha256, progress, timeout))


def check_target(target: SftpTarget, *, timeout: float = 15) -> None:
    """Raise ``DeliveryFailed`` unless we can log in and write into ``remote_dir``.

    Called when someone saves a destination, so that a wrong key, password or folder is found
    then and not at the end of a long fulfillment. Writing (and removing) a small probe file is
    the only reliable test: SFTP permission bits do not say what the server will allow.
    """
    _run(lambda: _check(target, timeout))


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code.

    A caller already inside an event loop (an async route) cannot start another in its
    thread, so the call then runs in a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-sftp") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class _Cancelled(Exception):
    """Carries what ``progress`` raised past the error translation, to be re-raised as is."""

    def __init__(self, raised: BaseException) -> None:
        super().__init__("progress raised")
        self.raised = raised


async def _upload(
    target: SftpTarget,
    local: Path,
    size: int,
    remote_name: str,
    sha256: str,
    progress: Callable[[int, int], None] | None,
    timeout: float,
) -> UploadReceipt:
    started_at = datetime.now(UTC)
    final = posixpath.join(target.remote_dir, remote_name)
    part = posixpath.join(target.remote_dir, f".{remote_name}.part")
    async with _session(target, timeout) as (fingerprint, sftp):
        try:
            await _refuse_existing(sftp, final, timeout)
            await _send(sftp, local, part, size, progress, timeout)
            remote_size = (await _within(sftp.stat(part), timeout)).size
            if remote_size != size:
                raise DeliveryFailed(
                    f"The server holds {remote_size} bytes of the {size} sent; not delivered."
                )
            await _refuse_existing(sftp, final, timeout)
            # The plain SFTP rename refuses to replace an existing file, which is the rule we
            # want; posix-rename would silently overwrite a package delivered meanwhile.
            await _within(sftp.rename(part, final), timeout)
        except BaseException as exc:
            await _remove_quietly(sftp, part, timeout)
            if isinstance(exc, _Cancelled):
                raise exc.raised from None
            if isinstance(exc, REMOTE_ERRORS):
                if await _exists_quietly(sftp, final, timeout):
                    raise _exists_failure(final) from exc
                raise transfer_failure(exc, target.remote_dir, timeout) from exc
            raise
    return UploadReceipt(
        remote_path=final,
        size=size,
        sha256=sha256,
        host_key_fingerprint=fingerprint,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )


async def _send(
    sftp: asyncssh.SFTPClient,
    local: Path,
    part: str,
    size: int,
    progress: Callable[[int, int], None] | None,
    timeout: float,
) -> None:
    done = 0
    remote = await _within(sftp.open(part, "wb"), timeout)
    try:
        with local.open("rb") as source:
            while chunk := source.read(CHUNK):
                await _within(remote.write(chunk), timeout)
                done += len(chunk)
                if progress is not None:
                    try:
                        progress(done, size)
                    except BaseException as exc:
                        raise _Cancelled(exc) from exc
    finally:
        with suppress(*REMOTE_ERRORS):
            await _within(remote.close(), timeout)


async def _check(target: SftpTarget, timeout: float) -> None:
    probe = posixpath.join(target.remote_dir, f".accord-probe-{secrets.token_hex(6)}")
    async with _session(target, timeout) as (_, sftp):
        try:
            attrs = await _within(sftp.stat(target.remote_dir), timeout)
            if attrs.permissions is not None and not stat.S_ISDIR(attrs.permissions):
                raise DeliveryFailed(f"{target.remote_dir} on the server is not a folder.")
            remote = await _within(sftp.open(probe, "wb"), timeout)
            await _within(remote.write(b"accord delivery check\n"), timeout)
            await _within(remote.close(), timeout)
            await _within(sftp.remove(probe), timeout)
        except REMOTE_ERRORS as exc:
            await _remove_quietly(sftp, probe, timeout)
            raise transfer_failure(exc, target.remote_dir, timeout) from exc


@asynccontextmanager
async def _session(
    target: SftpTarget, timeout: float
) -> AsyncIterator[tuple[str, asyncssh.SFTPClient]]:
    """An authenticated SFTP session with the pinned server, and the key's fingerprint."""
    options = _connect_options(target)
    try:
        conn = await asyncssh.connect(target.host, target.port, connect_timeout=timeout, **options)
    except REMOTE_ERRORS as exc:
        raise connect_failure(exc, target, timeout) from None
    try:
        try:
            sftp = await _within(conn.start_sftp_client(), timeout)
        except REMOTE_ERRORS as exc:
            raise transfer_failure(exc, target.remote_dir, timeout) from exc
        key = conn.get_server_host_key()
        fingerprint = key.get_fingerprint("sha256") if key is not None else ""
        try:
            yield fingerprint, sftp
        finally:
            sftp.exit()
    finally:
        conn.close()
        with suppress(*REMOTE_ERRORS):
            await asyncio.wait_for(conn.wait_closed(), timeout)


def _connect_options(target: SftpTarget) -> dict[str, Any]:
    """asyncssh's options with everything taken from the target, nothing from ~/.ssh."""
    try:
        pinned = asyncssh.import_public_key(target.host_key)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise DeliveryFailed(
            "The host key recorded for this destination is not an OpenSSH public key."
        ) from exc
    client_keys = None
    if target.private_key:
        try:
            client_keys = [asyncssh.import_private_key(target.private_key)]
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise DeliveryFailed(
                "The private key recorded for this destination cannot be read "
                "(keys protected by a passphrase are not supported)."
            ) from exc
    if client_keys is None and not target.password:
        raise DeliveryFailed("No private key or password is recorded for this destination.")
    methods = (["publickey"] if client_keys else []) + (
        ["keyboard-interactive", "password"] if target.password else []
    )
    # "*": the key is pinned to this destination whatever name or address reaches it.
    known_hosts = asyncssh.import_known_hosts("* " + pinned.export_public_key("openssh").decode())
    return {
        "username": target.username,
        "known_hosts": known_hosts,
        "client_keys": client_keys,
        "password": target.password or None,
        "preferred_auth": methods,
        "agent_path": None,
        "config": None,
        "x509_trusted_certs": None,
    }


async def _within(operation: Awaitable[T], timeout: float) -> T:
    """A remote operation that fails rather than hangs when the server stops answering."""
    return await asyncio.wait_for(operation, timeout)


async def _refuse_existing(sftp: asyncssh.SFTPClient, final: str, timeout: float) -> None:
    if await _within(sftp.exists(final), timeout):
        raise _exists_failure(final)


def _exists_failure(final: str) -> DeliveryFailed:
    return DeliveryFailed(
        f"A file named {posixpath.basename(final)} already exists on the server; "
        "a delivered file is never overwritten."
    )


async def _remove_quietly(sftp: asyncssh.SFTPClient, path: str, timeout: float) -> None:
    """Best effort: after a failure the connection may be gone, and that failure matters more."""
    with suppress(*REMOTE_ERRORS):
        await _within(sftp.remove(path), timeout)


async def _exists_quietly(sftp: asyncssh.SFTPClient, path: str, timeout: float) -> bool:
    with suppress(*REMOTE_ERRORS):
        return await _within(sftp.exists(path), timeout)
    return False
