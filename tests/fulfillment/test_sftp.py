"""Delivery over SFTP against a real asyncssh server: what the recipient ends up with, and
that every way it can go wrong is a DeliveryFailed with a plain reason and no final file."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from accord.fulfillment import sftp
from accord.fulfillment.errors import DeliveryFailed
from accord.fulfillment.sftp import CHUNK, SftpTarget, check_target, upload
from accord.jobs.progress import JobCancelled
from tests.fulfillment.conftest import PASSWORD, UPLOAD_DIR, StartServer
from tests.sftp_server import SftpTestServer

NAME = "package.zip"


def target_for(server: SftpTestServer, **changes: Any) -> SftpTarget:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "remote_dir": f"/{UPLOAD_DIR}",
        "host_key": server.host_key,
        "password": PASSWORD,
    }
    values.update(changes)
    return SftpTarget(**values)


def remote_files(server: SftpTestServer) -> list[str]:
    return sorted(path.name for path in (server.root / UPLOAD_DIR).iterdir())


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A package of a few chunks and an odd tail, so progress has steps and sizes must add up."""
    path = tmp_path / "out" / NAME
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * (3 * CHUNK // 256) + b"tail")
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deliver(target: SftpTarget, package: Path, **options: Any) -> Any:
    return upload(target, package, remote_name=NAME, sha256=sha256_of(package), **options)


def test_upload_with_password_delivers_the_same_bytes(
    sftp_server: SftpTestServer, package: Path
) -> None:
    receipt = deliver(target_for(sftp_server), package)

    delivered = sftp_server.root / UPLOAD_DIR / NAME
    assert delivered.read_bytes() == package.read_bytes()
    assert remote_files(sftp_server) == [NAME]  # the .part is gone
    assert receipt.remote_path == f"/{UPLOAD_DIR}/{NAME}"
    assert receipt.size == package.stat().st_size
    assert receipt.sha256 == sha256_of(package)
    pinned = asyncssh.import_public_key(sftp_server.host_key)
    assert receipt.host_key_fingerprint == pinned.get_fingerprint("sha256")
    assert receipt.started_at <= receipt.finished_at


def test_upload_with_a_private_key(
    start_sftp_server: StartServer, client_key: asyncssh.SSHKey, package: Path
) -> None:
    server = start_sftp_server(client_key=client_key)  # no password accepted at all
    key_text = client_key.export_private_key("openssh").decode()

    deliver(target_for(server, password=None, private_key=key_text), package)

    assert (server.root / UPLOAD_DIR / NAME).read_bytes() == package.read_bytes()
    assert remote_files(server) == [NAME]


def test_progress_rises_to_the_size(sftp_server: SftpTestServer, package: Path) -> None:
    calls: list[tuple[int, int]] = []

    deliver(
        target_for(sftp_server), package, progress=lambda done, total: calls.append((done, total))
    )

    size = package.stat().st_size
    assert len(calls) > 1
    assert all(total == size for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(set(done))  # strictly increasing
    assert done[-1] == size


def test_progress_raising_cancels_and_removes_the_part(
    sftp_server: SftpTestServer, package: Path
) -> None:
    def cancel_on_second_chunk(done: int, total: int) -> None:
        if done > CHUNK:
            raise JobCancelled()

    with pytest.raises(JobCancelled):
        deliver(target_for(sftp_server), package, progress=cancel_on_second_chunk)

    assert sftp_server.bytes_received > 0  # it had started
    assert remote_files(sftp_server) == []


def test_a_different_host_key_is_refused_before_logging_in(
    sftp_server: SftpTestServer, package: Path
) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()

    with pytest.raises(DeliveryFailed, match="host key does not match"):
        deliver(target_for(sftp_server, host_key=impostor), package)

    assert sftp_server.logins_begun == 0  # the password never left
    assert remote_files(sftp_server) == []


def test_a_recorded_key_of_another_type_is_a_mismatch_too(
    sftp_server: SftpTestServer, package: Path
) -> None:
    other = asyncssh.generate_private_key("ecdsa-sha2-nistp256").export_public_key().decode()

    with pytest.raises(DeliveryFailed, match="host key does not match"):
        deliver(target_for(sftp_server, host_key=other), package)

    assert sftp_server.logins_begun == 0


def test_wrong_password_is_authentication_refused(
    sftp_server: SftpTestServer, package: Path
) -> None:
    with pytest.raises(DeliveryFailed, match="authentication refused") as failure:
        deliver(target_for(sftp_server, password="not it"), package)

    assert "not it" not in failure.value.message
    assert remote_files(sftp_server) == []


def test_a_server_refusing_every_login(
    start_sftp_server: StartServer, client_key: asyncssh.SSHKey, package: Path
) -> None:
    server = start_sftp_server(password=PASSWORD, client_key=client_key, refuse_auth=True)
    key_text = client_key.export_private_key("openssh").decode()

    with pytest.raises(DeliveryFailed, match="authentication refused"):
        deliver(target_for(server, private_key=key_text), package)


def test_nothing_listening_is_connection_refused(package: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = SftpTarget(
        host="127.0.0.1",
        port=port,
        username="recipient",
        remote_dir="/",
        host_key=asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode(),
        password=PASSWORD,
    )

    with pytest.raises(DeliveryFailed, match="Connection refused"):
        deliver(target, package)


def test_a_server_that_never_answers_times_out(package: Path) -> None:
    with socket.socket() as silent:  # accepts TCP connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        target = SftpTarget(
            host="127.0.0.1",
            port=silent.getsockname()[1],
            username="recipient",
            remote_dir="/",
            host_key=asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode(),
            password=PASSWORD,
        )

        with pytest.raises(DeliveryFailed, match="timed out"):
            deliver(target, package, timeout=0.5)


def test_connection_dropped_mid_transfer(start_sftp_server: StartServer, package: Path) -> None:
    server = start_sftp_server(password=PASSWORD, drop_after_bytes=CHUNK)

    with pytest.raises(DeliveryFailed, match="dropped mid-transfer"):
        deliver(target_for(server), package)

    assert server.bytes_received > 0
    # no final file; a leftover may only be the dot-named part
    assert set(remote_files(server)) <= {f".{NAME}.part"}


def test_read_only_folder_is_permission_denied(
    start_sftp_server: StartServer, package: Path
) -> None:
    server = start_sftp_server(password=PASSWORD, read_only=True)

    with pytest.raises(DeliveryFailed, match=f"Permission denied on the folder /{UPLOAD_DIR}"):
        deliver(target_for(server), package)

    assert remote_files(server) == []


def test_a_short_remote_file_is_not_delivered(
    start_sftp_server: StartServer, package: Path
) -> None:
    server = start_sftp_server(password=PASSWORD, lose_bytes=1)

    with pytest.raises(DeliveryFailed, match="bytes of the"):
        deliver(target_for(server), package)

    assert remote_files(server) == []


def test_missing_folder(sftp_server: SftpTestServer, package: Path) -> None:
    with pytest.raises(DeliveryFailed, match="does not exist"):
        deliver(target_for(sftp_server, remote_dir="/elsewhere"), package)


def test_an_existing_remote_file_is_never_overwritten(
    sftp_server: SftpTestServer, package: Path
) -> None:
    earlier = sftp_server.root / UPLOAD_DIR / NAME
    earlier.write_bytes(b"delivered last week")

    with pytest.raises(DeliveryFailed, match="already exists"):
        deliver(target_for(sftp_server), package)

    assert earlier.read_bytes() == b"delivered last week"
    assert remote_files(sftp_server) == [NAME]
    assert sftp_server.bytes_received == 0  # refused before sending anything


def test_a_second_delivery_of_the_same_name_is_refused(
    sftp_server: SftpTestServer, package: Path
) -> None:
    deliver(target_for(sftp_server), package)
    with pytest.raises(DeliveryFailed, match="already exists"):
        deliver(target_for(sftp_server), package)


@pytest.mark.parametrize("name", ["../escape.zip", "sub/package.zip", ".hidden.zip", ""])
def test_remote_name_must_be_a_plain_visible_name(
    sftp_server: SftpTestServer, package: Path, name: str
) -> None:
    with pytest.raises(DeliveryFailed, match="plain file name"):
        upload(target_for(sftp_server), package, remote_name=name, sha256="")
    assert sftp_server.logins_begun == 0


def test_unreadable_recorded_keys(sftp_server: SftpTestServer, package: Path) -> None:
    with pytest.raises(DeliveryFailed, match="not an OpenSSH public key"):
        deliver(target_for(sftp_server, host_key="ssh-ed25519 garbage"), package)
    with pytest.raises(DeliveryFailed, match=r"private key .* cannot be read"):
        deliver(target_for(sftp_server, private_key="-----BEGIN nonsense"), package)
    with pytest.raises(DeliveryFailed, match="No private key or password"):
        deliver(target_for(sftp_server, password=None), package)


def test_repr_hides_the_credentials(client_key: asyncssh.SSHKey) -> None:
    key_text = client_key.export_private_key("openssh").decode()
    target = SftpTarget(
        host="sftp.example.org",
        username="recipient",
        remote_dir="/in",
        host_key="ssh-ed25519 AAAA",
        private_key=key_text,
        password=PASSWORD,
    )
    shown = repr(target)
    assert "sftp.example.org" in shown
    assert PASSWORD not in shown
    assert "PRIVATE KEY" not in shown


def test_upload_from_a_thread_and_from_inside_an_event_loop(
    sftp_server: SftpTestServer, package: Path
) -> None:
    # Each case runs in a fresh thread: a browser test earlier in the run can leave an event
    # loop marked as running in the main thread.
    target = target_for(sftp_server)
    errors: list[BaseException] = []

    def in_fresh_thread(call: Callable[[], object]) -> None:
        def run() -> None:
            try:
                call()
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()

    async def in_loop() -> None:
        upload(target, package, remote_name="from-loop.zip", sha256="x")

    in_fresh_thread(lambda: upload(target, package, remote_name="from-thread.zip", sha256="x"))
    in_fresh_thread(lambda: asyncio.run(in_loop()))

    assert errors == []
    assert remote_files(sftp_server) == ["from-loop.zip", "from-thread.zip"]


def test_check_target_accepts_a_writable_folder_and_leaves_nothing(
    sftp_server: SftpTestServer,
) -> None:
    check_target(target_for(sftp_server))

    assert sftp_server.bytes_received > 0  # it did write its probe
    assert remote_files(sftp_server) == []


@pytest.fixture
def a_file_not_a_folder(sftp_server: SftpTestServer) -> Iterator[str]:
    (sftp_server.root / "notes.txt").write_text("hello")
    yield "/notes.txt"


def test_check_target_refusals(
    start_sftp_server: StartServer, sftp_server: SftpTestServer, a_file_not_a_folder: str
) -> None:
    read_only = start_sftp_server(password=PASSWORD, read_only=True)
    with pytest.raises(DeliveryFailed, match="Permission denied on the folder"):
        check_target(target_for(read_only))
    with pytest.raises(DeliveryFailed, match="not a folder"):
        check_target(target_for(sftp_server, remote_dir=a_file_not_a_folder))
    with pytest.raises(DeliveryFailed, match="does not exist"):
        check_target(target_for(sftp_server, remote_dir="/nowhere"))
    with pytest.raises(DeliveryFailed, match="authentication refused"):
        check_target(target_for(sftp_server, password="not it"))
    with pytest.raises(DeliveryFailed, match="host key does not match"):
        other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
        check_target(target_for(sftp_server, host_key=other))


def test_the_test_server_leaves_no_thread_behind(tmp_path: Path) -> None:
    before = threading.active_count()
    with SftpTestServer(tmp_path / "root", password=PASSWORD) as server:
        assert "sftp-test-server" in {thread.name for thread in threading.enumerate()}
        check_target(
            SftpTarget(
                host=server.host,
                port=server.port,
                username=server.username,
                remote_dir="/",
                host_key=server.host_key,
                password=PASSWORD,
            )
        )
    assert threading.active_count() == before


def test_a_file_delivered_meanwhile_is_not_overwritten(
    sftp_server: SftpTestServer, package: Path
) -> None:
    meanwhile = sftp_server.root / UPLOAD_DIR / NAME

    def someone_else_delivers(done: int, total: int) -> None:
        if not meanwhile.exists():
            meanwhile.write_bytes(b"someone else's")

    with pytest.raises(DeliveryFailed, match="already exists"):
        deliver(target_for(sftp_server), package, progress=someone_else_delivers)

    assert meanwhile.read_bytes() == b"someone else's"
    assert remote_files(sftp_server) == [NAME]


def test_the_rename_itself_refuses_to_overwrite(
    sftp_server: SftpTestServer, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without our own checks, the server's rename still keeps the file delivered first."""

    async def no_check(*_: object) -> None:
        return None

    monkeypatch.setattr(sftp, "_refuse_existing", no_check)
    earlier = sftp_server.root / UPLOAD_DIR / NAME
    earlier.write_bytes(b"delivered last week")

    with pytest.raises(DeliveryFailed, match="already exists"):
        deliver(target_for(sftp_server), package)

    assert earlier.read_bytes() == b"delivered last week"
    assert remote_files(sftp_server) == [NAME]
