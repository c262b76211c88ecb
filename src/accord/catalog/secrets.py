"""Connection secrets: kept encrypted with a key derived from the installation's secret key,
or referenced by the name of an environment variable, and never shown again."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken

from accord.errors import AccordError


def _fernet(key: bytes) -> Fernet:
    derived = hashlib.sha256(b"accord-source-secrets\x00" + key).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(key: bytes, secret: str) -> str:
    return _fernet(key).encrypt(secret.encode()).decode()


def decrypt(key: bytes, token: str) -> str:
    try:
        return _fernet(key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise AccordError(
            "The stored connection secret cannot be decrypted: the secret key changed. "
            "Enter the source's password again."
        ) from exc


def from_environment(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise AccordError(
            f"The environment variable {name} holding this source's password is not set."
        )
    return value
