"""Secrets people hold (passwords, session and API tokens) and how we store them."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the e-mail is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
# Held by a user who has not chosen a password (invited): not a hash, so nothing matches it.
UNUSABLE_PASSWORD = "!"  # noqa: S105 - a marker, not a password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. No hash (an unknown e-mail) or no usable one (an invited
    user) still costs one verification, so the answer takes as long either way."""
    usable = password_hash if password_hash and password_hash != UNUSABLE_PASSWORD else None
    try:
        matched = _hasher.verify(usable or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matched) and usable is not None


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough; the database never holds the token."""
    return hashlib.sha256(token.encode()).hexdigest()
