"""The console's session cookie: who signed in, with which key, until when, and the CSRF token.

The cookie is `<payload>.<signature>`: the payload is base64url JSON, the signature HMAC-SHA256
of it with the console secret. It holds the user id and a fingerprint of the API key used to sign
in, so revoking that key (or deactivating the user) ends the session on the next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from models.settings import Settings

log = structlog.get_logger("arcadence.console")

COOKIE = "arcadence_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    user_id: int
    key_id: int
    key_fingerprint: str
    csrf: str
    expires_at: int  # Unix seconds


def console_secret(settings: Settings) -> bytes:
    """The signing secret: `ARCADENCE_CONSOLE_SECRET`, or a random one for this process."""
    if settings.console_secret is not None:
        return settings.console_secret.get_secret_value().encode()
    log.warning(
        "console.secret_generated",
        note="ARCADENCE_CONSOLE_SECRET is unset: console sign-ins end when this process stops",
    )
    return secrets.token_bytes(32)


def key_fingerprint(secret: bytes, key_hash: str) -> str:
    """A value that changes with the key but does not reveal its hash."""
    return hmac.new(secret, f"key:{key_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def issue(secret: bytes, *, user_id: int, key_id: int, key_hash: str, now: datetime, hours: int) -> str:
    """A fresh cookie value (and with it a fresh CSRF token)."""
    session = ConsoleSession(
        user_id=user_id,
        key_id=key_id,
        key_fingerprint=key_fingerprint(secret, key_hash),
        csrf=secrets.token_urlsafe(24),
        expires_at=int((now + timedelta(hours=hours)).timestamp()),
    )
    body = json.dumps(
        {
            "u": session.user_id,
            "k": session.key_id,
            "f": session.key_fingerprint,
            "c": session.csrf,
            "e": session.expires_at,
        },
        separators=(",", ":"),
    ).encode()
    payload = base64.urlsafe_b64encode(body).rstrip(b"=")
    return f"{payload.decode()}.{_sign(secret, payload)}"


def read(secret: bytes, value: str | None, *, now: datetime) -> ConsoleSession | None:
    """The session in a cookie value, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.encode().split(b".")
    if not hmac.compare_digest(_sign(secret, payload), signature.decode(errors="replace")):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        session = ConsoleSession(
            user_id=int(data["u"]),
            key_id=int(data["k"]),
            key_fingerprint=str(data["f"]),
            csrf=str(data["c"]),
            expires_at=int(data["e"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires_at <= now.timestamp():
        return None
    return session


def csrf_ok(session: ConsoleSession, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(session.csrf.encode(), sent.encode())
