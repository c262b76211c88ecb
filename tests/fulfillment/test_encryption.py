"""Packages encrypted for the recipient with age: the keys accepted, a run delivered as
``.zip.age`` by link and SFTP, opened only with the recipient's private key (age or OpenSSH),
checked whole by ``accord package verify --identity``, and plain again when encryption stops."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncssh
import pyrage
import pytest
from pyrage import x25519
from typer.testing import CliRunner

from accord.cli.main import app
from accord.db.engine import transaction
from accord.errors import NotFound, ValidationFailed
from accord.fulfillment import deliveries
from accord.fulfillment.encryption import checked_key, decrypt_package
from accord.fulfillment.planning import set_recipient_key
from accord.fulfillment.runs import fulfill_now, packages_root
from accord.fulfillment.verify import verify_package
from tests.fulfillment.agreements import filed_agreement, fulfil_world, sftp_destination
from tests.fulfillment.conftest import UPLOAD_DIR
from tests.proposals.conftest import World
from tests.sftp_server import SftpTestServer

AGE_KEY = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"


def test_one_public_key_is_accepted_and_a_private_key_or_anything_else_is_not() -> None:
    ssh_key = asyncssh.generate_private_key("ssh-ed25519")
    public = ssh_key.export_public_key("openssh").decode().strip()
    assert checked_key(f"  {AGE_KEY}\n") == AGE_KEY
    assert checked_key(public + " someone@laptop") == " ".join(public.split()[:2])
    assert checked_key("") == ""
    identity = str(x25519.Identity.generate())
    private_ssh = ssh_key.export_private_key("openssh").decode()
    for bad, said in (
        (identity, "That is a private key: it was not saved."),
        (private_ssh, "That is a private key: it was not saved."),
        ("age1notakey", "Paste one age public key"),
        (f"{AGE_KEY} {AGE_KEY}", "Paste one age public key"),
        ("ssh-dss AAAA", "Paste one age public key"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            checked_key(bad)
        (problem,) = refused.value.problems
        assert problem.field == "recipient_key" and problem.message.startswith(said)


pytestmark = pytest.mark.db


@pytest.fixture
def w(settings, tmp_path: Path) -> World:
    return fulfil_world(settings, tmp_path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_encrypted_package_opens_only_with_the_recipients_key_and_verifies_whole(
    w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sftp_server: SftpTestServer
) -> None:
    pid = filed_agreement(w, monkeypatch)
    identity = x25519.Identity.generate()
    with transaction(w.settings) as session:
        with pytest.raises(NotFound):
            set_recipient_key(session, w.other, w.settings, pid, str(identity.to_public()))
        set_recipient_key(
            session, w.dcs["data_coordinator"], w.settings, pid, str(identity.to_public())
        )
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    sealed = deliveries.package_file(w.settings, run)
    assert sealed.name.endswith(".zip.age") and run.encrypted_for == str(identity.to_public())
    assert _sha256(sealed) == run.sha256 and sealed.stat().st_size == run.size
    with pytest.raises(pyrage.DecryptError):  # anyone else's key opens nothing
        pyrage.decrypt(sealed.read_bytes(), [x25519.Identity.generate()])
    key_file = tmp_path / "recipient.key"
    key_file.write_text(f"# created: today\n{identity}\n")
    opened = tmp_path / "opened.zip"
    decrypt_package(sealed, key_file, opened)
    assert _sha256(opened) == run.zip_sha256
    assert verify_package(opened).problems == ()

    destination = sftp_destination(w, pid, sftp_server)  # link and SFTP carry the .age
    with transaction(w.settings) as session:
        token = deliveries.offer_link(session, w.cdw["data_engineer"], run.id).token
    sent = deliveries.send_now(w.settings, w.cdw["data_engineer"], run.id, destination)
    assert sent.remote_path.endswith(".zip.age") and sent.sha256 == run.sha256
    assert _sha256(sftp_server.root / UPLOAD_DIR / sealed.name) == run.sha256
    _, path = deliveries.download(w.settings, token, "127.0.0.1")
    assert path == sealed

    runner = CliRunner()
    verified = runner.invoke(app, ["package", "verify", str(sealed), "--identity", str(key_file)])
    assert verified.exit_code == 0 and "every checksum matches" in verified.output
    unkeyed = runner.invoke(app, ["package", "verify", str(sealed)])
    assert unkeyed.exit_code == 2 and "give --identity" in unkeyed.output
    other = tmp_path / "other.key"
    other.write_text(str(x25519.Identity.generate()))
    wrong = runner.invoke(app, ["package", "verify", str(sealed), "--identity", str(other)])
    assert wrong.exit_code == 2 and "cannot be decrypted" in wrong.output

    with transaction(w.settings) as session:
        set_recipient_key(session, w.cdw["data_engineer"], w.settings, pid, "")
    plain = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    assert deliveries.package_file(w.settings, plain).name.endswith(".zip")
    assert plain.encrypted_for == "" and plain.sha256 == plain.zip_sha256


def test_an_openssh_key_the_recipient_already_has_works_too(
    w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid = filed_agreement(w, monkeypatch)
    key = asyncssh.generate_private_key("ssh-ed25519")
    with transaction(w.settings) as session:
        set_recipient_key(
            session,
            w.dcs["data_engineer"],
            w.settings,
            pid,
            key.export_public_key("openssh").decode(),
        )
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    private = tmp_path / "id_ed25519"
    private.write_bytes(key.export_private_key("openssh"))
    opened = tmp_path / "opened.zip"
    decrypt_package(packages_root(w.settings) / f"{run.package}.zip.age", private, opened)
    assert _sha256(opened) == run.zip_sha256
