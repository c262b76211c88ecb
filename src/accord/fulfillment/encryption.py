"""Packages encrypted for the recipient with age (https://age-encryption.org), through pyrage.

The recipient gives one public key: an age key (``age1...``) or the OpenSSH public key they
already have (``ssh-ed25519 ...`` or ``ssh-rsa ...``), which age accepts as well. Every package
of the agreement is then delivered as ``<name>.zip.age``, by SFTP, link and API alike; only the
holder of the private key can open it (``age -d -i key.txt name.zip.age > name.zip``), so a
package intercepted, misdelivered or left on a shared drive discloses nothing. Accord keeps no
private key. The key is public, so it is shown and audited in full; OpenPGP was the other
choice the issue named, but its libraries on the registry are either unmaintained (PGPy) or
drive a gpg binary, and age is one well-kept library with one small key format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
from pyrage import ssh, x25519

from accord.errors import Problem, ValidationFailed
from accord.fulfillment.package_files import HashingFile

SUFFIX = ".age"
SSH_KINDS = ("ssh-ed25519", "ssh-rsa")


@dataclass(frozen=True)
class Encrypted:
    path: Path
    sha256: str
    size: int


def checked_key(text: str) -> str:
    """The key as it is kept (one line, the comment of an SSH key dropped), or
    ValidationFailed saying which kinds of key are accepted."""
    parts = text.split()
    if not parts:
        return ""
    if parts[0].startswith("age1") and len(parts) == 1:
        key = parts[0]
    elif parts[0] in SSH_KINDS and len(parts) >= 2:
        key = f"{parts[0]} {parts[1]}"
    else:
        key = ""
    try:
        if key:
            _recipient(key)
            return key
    except (pyrage.RecipientError, ValueError):
        pass
    if looks_private(text):
        message = (
            "That is a private key: it was not saved. Paste the public key that goes with it, "
            "and keep the private key to the recipient (treat one pasted elsewhere as exposed)."
        )
    else:
        message = (
            "Paste one age public key (age1…) or an OpenSSH public key (ssh-ed25519 … or "
            "ssh-rsa …). Never paste a private key."
        )
    raise ValidationFailed([Problem("recipient_key", message)], "The key was not saved.")


def looks_private(text: str) -> bool:
    """A private key pasted by mistake: never kept, never shown back."""
    return "AGE-SECRET-KEY-" in text.upper() or "PRIVATE KEY" in text


def _recipient(key: str) -> x25519.Recipient | ssh.Recipient:
    if key.startswith("age1"):
        return x25519.Recipient.from_str(key)
    return ssh.Recipient.from_str(key)


def encrypt_package(zip_path: Path, key: str) -> Encrypted:
    """Write ``<zip>.age`` beside the zip, hashed as it is written; the file appears under its
    name only when complete (a hidden part file, then a link that never replaces a file)."""
    target = zip_path.with_name(zip_path.name + SUFFIX)
    part = zip_path.with_name(f".{zip_path.name}{SUFFIX}.part")
    part.unlink(missing_ok=True)
    try:
        with zip_path.open("rb") as source, HashingFile(part) as sink:
            pyrage.encrypt_io(source, sink, [_recipient(key)])
            written = sink.done(target.name)
        os.link(part, target)
    finally:
        part.unlink(missing_ok=True)
    return Encrypted(target, written.sha256, written.size)


def decrypt_package(path: Path, identity_file: Path, out: Path) -> None:
    """The recipient's side (``accord package verify --identity``): ``path`` decrypted to
    ``out`` with the age identity file or OpenSSH private key in ``identity_file``."""
    text = identity_file.read_text()
    lines = [line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-")]
    identity: x25519.Identity | ssh.Identity
    if lines:
        identity = x25519.Identity.from_str(lines[0])
    else:
        identity = ssh.Identity.from_buffer(text.encode())
    pyrage.decrypt_file(str(path), str(out), [identity])
