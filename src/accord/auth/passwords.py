"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accord.errors import Problem

_hasher = PasswordHasher()
MIN_LENGTH = 10


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps the time of a login for an unknown user the same as for
    a known one, so response times do not reveal which usernames exist. Made at first use,
    not at import: hashing takes a tenth of a second every CLI command would otherwise pay."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for a real hash that ``password`` matches. No hash (an unknown user) or an
    empty one (a user of an identity provider) is checked against a dummy for even timing,
    and refused whatever the password."""
    try:
        # an empty hash (an account that signs in through its identity provider) never verifies
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str) -> list[Problem]:
    if len(password) < MIN_LENGTH:
        return [Problem("password", f"Use at least {MIN_LENGTH} characters.")]
    return []
