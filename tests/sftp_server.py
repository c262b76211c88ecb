"""A real SFTP server for tests: asyncssh's, rooted in a temporary folder, on a free port.

It runs in a background thread with its own event loop, so the code under test (synchronous,
running its own loop per call) talks to it over a real socket exactly as it would to a
recipient's server. Fault options make the failures a delivery must survive reproducible:
refused logins, a connection dropped after N bytes, a folder that refuses writes.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh

# Flags of an SFTP open that change the folder; a read-only folder refuses them.
_WRITING = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC | asyncssh.FXF_APPEND


class SftpTestServer:
    """One listening server; ``host``, ``port``, ``host_key`` and ``root`` are what a test needs.

    ``root`` is the chroot: the client sees it as ``/``. Counters let tests check what reached
    the server (``logins_begun`` stays 0 when the client refused the host key).
    """

    def __init__(
        self,
        root: Path,
        *,
        username: str = "recipient",
        password: str | None = None,
        client_key: asyncssh.SSHKey | None = None,
        refuse_auth: bool = False,
        drop_after_bytes: int | None = None,
        read_only: bool = False,
        lose_bytes: int = 0,
    ) -> None:
        self.root = root
        self.username = username
        self.password = password
        self.client_key = client_key
        self.refuse_auth = refuse_auth
        self.drop_after_bytes = drop_after_bytes
        self.read_only = read_only
        self.lose_bytes = lose_bytes  # silently dropped from each write's end
        self.host = "127.0.0.1"
        self.port = 0
        self._key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_key = self._key.export_public_key("openssh").decode()
        self.logins_begun = 0
        self.bytes_received = 0
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-test-server")
        self._acceptor: asyncssh.SSHAcceptor | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self._acceptor = future.result(timeout=10)
        self.port = self._acceptor.get_port()

    def stop(self) -> None:
        """Close every connection and the listener, then end the thread: nothing is left."""
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
            # the executor is shut down in the server's own thread: the caller's thread may be
            # running a loop of its own (Playwright's sync API does)
            asyncio.run_coroutine_threadsafe(
                self._loop.shutdown_default_executor(), self._loop
            ).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            self.host,
            0,
            server_host_keys=[self._key],
            server_factory=lambda: _Server(self),
            sftp_factory=lambda chan: _Sftp(chan, self),
            allow_scp=False,
            login_timeout=10,
        )

    async def _close(self) -> None:
        for conn in list(self._connections):
            conn.abort()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()

    def __enter__(self) -> SftpTestServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class _Server(asyncssh.SSHServer):
    def __init__(self, options: SftpTestServer) -> None:
        self.options = options
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.options._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.options._connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        self.options.logins_begun += 1
        return True

    def password_auth_supported(self) -> bool:
        return self.options.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        return (
            not self.options.refuse_auth
            and username == self.options.username
            and password == self.options.password
        )

    def public_key_auth_supported(self) -> bool:
        return self.options.client_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        expected = self.options.client_key
        return (
            not self.options.refuse_auth
            and username == self.options.username
            and expected is not None
            and key.public_data == expected.public_data
        )


class _Sftp(asyncssh.SFTPServer):
    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], options: SftpTestServer) -> None:
        super().__init__(chan, chroot=str(options.root).encode())
        self.options = options

    def _refuse_if_read_only(self) -> None:
        # Emulated rather than chmod'ed: tests may run as root, who ignores permission bits.
        if self.options.read_only:
            raise asyncssh.SFTPPermissionDenied("Permission denied")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & _WRITING:
            self._refuse_if_read_only()
        return super().open(path, pflags, attrs)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        self.options.bytes_received += len(data)
        limit = self.options.drop_after_bytes
        if limit is not None and self.options.bytes_received > limit:
            # abort: the socket closes at once, with no SSH disconnect message.
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("Dropped by the test server")
        written = len(data)
        if self.options.lose_bytes:
            data = data[: -self.options.lose_bytes]
        super().write(file_obj, offset, data)
        return written

    def remove(self, path: bytes) -> None:
        self._refuse_if_read_only()
        super().remove(path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_if_read_only()
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._refuse_if_read_only()
        super().posix_rename(oldpath, newpath)
