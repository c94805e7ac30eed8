"""Passwords (argon2id) and opaque tokens (random, stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
# A hash to verify against when the username is unknown, so timing does not tell.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def pseudonym(key: str, value: str) -> str:
    """A stable pseudonym: the same customer always gets the same one, and it cannot be
    turned back into the customer number without the key."""
    digest = hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:12].upper()}"
