"""SendGrid's Event Webhook, first step: the ECDSA signature over `timestamp + raw body`,
checked before anything is parsed or a database session is opened."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.errors import Unauthorized, Unavailable

log = structlog.get_logger("arcadence.webhooks")

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# A signed request older (or newer) than this is refused: a captured request cannot be replayed
# later, and five minutes absorbs clock skew and SendGrid's own queueing.
SIGNATURE_TOLERANCE_S = 300


class BadSignature(Unauthorized):
    code = "bad_signature"


class StaleSignature(Unauthorized):
    code = "stale_signature"


class WebhookNotConfigured(Unavailable):
    code = "webhook_not_configured"


@lru_cache(maxsize=4)
def _public_key(encoded: str) -> ec.EllipticCurvePublicKey:
    """The key as SendGrid shows it (base64 DER SubjectPublicKeyInfo); PEM is accepted too."""
    text = encoded.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
    else:
        key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def verify_signature(
    public_key: str | None, signature: str | None, timestamp: str | None, body: bytes, *, now: float
) -> None:
    """Refuse the request unless SendGrid signed `timestamp + body` within the tolerance.

    Without a configured key nothing is accepted: unsigned events could forge bounces.
    """
    if not public_key:
        raise WebhookNotConfigured(
            "The SendGrid webhook is not configured (ARCADENCE_SENDGRID_WEBHOOK_PUBLIC_KEY)"
        )
    try:
        key = _public_key(public_key)
    except (ValueError, TypeError, binascii.Error) as err:
        log.error("webhook.sendgrid_bad_public_key", error=str(err))
        raise WebhookNotConfigured("The configured SendGrid webhook public key cannot be read") from err
    if not signature or not timestamp:
        raise BadSignature(f"Send {SIGNATURE_HEADER} and {TIMESTAMP_HEADER}")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise BadSignature(f"{TIMESTAMP_HEADER} is not a Unix time")
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_S:
        raise StaleSignature(
            "The signature's timestamp is too far from now",
            details={"tolerance_seconds": SIGNATURE_TOLERANCE_S},
        )
    try:
        raw_signature = base64.b64decode(signature.strip(), validate=True)
        key.verify(raw_signature, timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error) as err:
        raise BadSignature("The signature does not match the body") from err
