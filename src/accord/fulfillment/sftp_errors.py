"""Turning what asyncssh and the network raise into reasons a data engineer can act on.

One place, so that every way a delivery can fail reads the same in a job's failure, on the
destination form and in the audit log. Messages name the server and folder but never a
credential; asyncssh's own texts do not carry them either.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import asyncssh

from accord.fulfillment.errors import DeliveryFailed

if TYPE_CHECKING:
    from accord.fulfillment.sftp import SftpTarget

HOST_KEY_MISMATCH = (
    "The server's host key does not match the one recorded for this destination; "
    "nothing was sent. If the recipient changed their server's key, record the new one."
)


def connect_failure(exc: BaseException, target: SftpTarget, timeout: float) -> DeliveryFailed:
    """Why we could not reach, trust or log in to the server."""
    where = f"{target.host}:{target.port}"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return DeliveryFailed(HOST_KEY_MISMATCH)
    if isinstance(exc, asyncssh.KeyExchangeFailed) and "host key" in exc.reason.lower():
        # We offer only the recorded key's type: a server without one has another key.
        return DeliveryFailed(HOST_KEY_MISMATCH)
    if isinstance(exc, asyncssh.PermissionDenied):
        return DeliveryFailed(
            f"The server at {where} refused to log in {target.username} with the recorded "
            "credentials (authentication refused)."
        )
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryFailed(
            f"Connection refused by {where}: no SFTP server is listening on that port."
        )
    if isinstance(exc, asyncio.TimeoutError):
        return DeliveryFailed(f"Connecting to {where} timed out after {timeout:g} seconds.")
    if isinstance(exc, socket.gaierror):
        return DeliveryFailed(f"The server name {target.host} could not be found.")
    if isinstance(exc, asyncssh.DisconnectError):
        return DeliveryFailed(f"The server at {where} closed the connection: {exc.reason}")
    if isinstance(exc, OSError):
        return DeliveryFailed(f"Could not connect to {where}: {exc.strerror or exc}")
    return DeliveryFailed(f"Could not connect to {where}: {exc}")


def transfer_failure(exc: BaseException, remote_dir: str, timeout: float) -> DeliveryFailed:
    """Why a logged-in session could not write the file into ``remote_dir``."""
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return DeliveryFailed(f"Permission denied on the folder {remote_dir} on the server.")
    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return DeliveryFailed(f"The folder {remote_dir} does not exist on the server.")
    if isinstance(
        exc,
        asyncssh.SFTPConnectionLost
        | asyncssh.SFTPNoConnection
        | asyncssh.DisconnectError
        | ConnectionError,
    ):
        return DeliveryFailed("The connection dropped mid-transfer; nothing was delivered.")
    if isinstance(exc, asyncio.TimeoutError):
        return DeliveryFailed(
            f"The server stopped answering for {timeout:g} seconds mid-transfer; "
            "nothing was delivered."
        )
    if isinstance(exc, asyncssh.SFTPError):
        return DeliveryFailed(f"The server refused the upload: {exc.reason}")
    return DeliveryFailed(f"The upload failed: {exc}")
