"""API keys: `ak_<prefix>_<secret>`, stored as SHA-256 only, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_BYTES = 6


@dataclass(frozen=True, slots=True)
class IssuedKey:
    secret: str
    prefix: str
    key_hash: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key() -> IssuedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = f"ak_{prefix}_{secrets.token_urlsafe(32)}"
    return IssuedKey(secret=secret, prefix=prefix, key_hash=hash_key(secret))


def prefix_of(secret: str) -> str | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != "ak" or len(parts[1]) != PREFIX_BYTES * 2:
        return None
    return parts[1]


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(secret), stored_hash)
