"""SendGrid's Event Webhook: the ECDSA signature checked over the raw body, then each event
applied once to its delivery (status, suppressed contact, history, a task for the specialist).

Events arrive batched, late, out of order and replayed for up to a day, so every effect is
idempotent: events are stored once per (message id, event, timestamp), statuses only move
forward, and the history entry and the task carry keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import DeliveryStatus, TaskStatus
from models import Contact, Customer, Delivery, DeliveryEvent, Task
from models.history import write_history
from services.errors import ServiceError, Unauthorized, Unavailable

log = structlog.get_logger("arcadence.webhooks")

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# A signed request older (or newer) than this is refused: a captured request cannot be replayed
# later, and five minutes absorbs clock skew and SendGrid's own queueing.
SIGNATURE_TOLERANCE_S = 300
ACTOR = "sendgrid"
MAX_INT4 = 2_147_483_647


class BadSignature(Unauthorized):
    code = "bad_signature"


class StaleSignature(Unauthorized):
    code = "stale_signature"


class WebhookNotConfigured(Unavailable):
    code = "webhook_not_configured"


class MalformedEvents(ServiceError):
    status, code = 400, "malformed_events"


# --- the signature ---------------------------------------------------------------------------


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


# --- the events ------------------------------------------------------------------------------

# What each event says about the delivery; events not listed are stored and otherwise ignored.
STATUS_OF_EVENT = {
    "processed": DeliveryStatus.SENT,
    "deferred": DeliveryStatus.DEFERRED,
    "delivered": DeliveryStatus.DELIVERED,
    "open": DeliveryStatus.OPENED,
    "click": DeliveryStatus.CLICKED,
    "bounce": DeliveryStatus.BOUNCED,
    "dropped": DeliveryStatus.DROPPED,
    "spamreport": DeliveryStatus.SPAM_REPORTED,
    "unsubscribe": DeliveryStatus.UNSUBSCRIBED,
    "group_unsubscribe": DeliveryStatus.UNSUBSCRIBED,
}
# Statuses only move up this ladder, so late or reordered events never undo a later one. A
# failure outranks delivery and engagement (a bounce after "delivered" is still a bounce), and
# the recipient's own refusals outrank everything.
RANK = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.UNKNOWN: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DEFERRED: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.OPENED: 4,
    DeliveryStatus.CLICKED: 5,
    DeliveryStatus.BOUNCED: 6,
    DeliveryStatus.DROPPED: 6,
    DeliveryStatus.FAILED: 6,
    DeliveryStatus.EXPIRED: 6,
    DeliveryStatus.UNSUBSCRIBED: 7,
    DeliveryStatus.SPAM_REPORTED: 8,
}
# Events after which the address gets no more email, and what a person should do about it.
UNREACHABLE = {
    "bounce": ("email_bounced", "bounced", "fix the contact"),
    "dropped": ("email_dropped", "was dropped", "fix the contact"),
    "spamreport": ("email_spam_reported", "was reported as spam", "reach them another way"),
    "unsubscribe": ("email_unsubscribed", "was unsubscribed from", "reach them another way"),
    "group_unsubscribe": ("email_unsubscribed", "was unsubscribed from", "reach them another way"),
}


@dataclass(frozen=True, slots=True)
class SendGridEvent:
    event: str
    sg_message_id: str | None  # "<X-Message-Id>.filter…"
    occurred_at: datetime
    email: str | None
    reason: str | None
    bounce_type: str | None
    delivery_id: int | None  # our custom_args, echoed by SendGrid
    idempotency_key: str | None
    payload: dict[str, Any]

    @property
    def message_prefix(self) -> str | None:
        """The X-Message-Id stored on the delivery: what comes before the first dot."""
        if not self.sg_message_id:
            return None
        return self.sg_message_id.split(".", 1)[0] or None

    @property
    def message_id(self) -> str:
        """The message part of the dedupe key (an event without one is keyed by its address)."""
        return self.sg_message_id or f"no-message-id:{self.email or ''}"[:255]


@dataclass(slots=True)
class BatchReceipt:
    """received = applied + duplicates + unmatched + ignored."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0
    ignored: int = 0


def _clean(value: Any) -> Any:
    """What jsonb and varchar can store: no NUL, no lone surrogates, no infinite numbers."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _int_arg(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT4:
        return value
    return None


def _event(raw: Any) -> SendGridEvent | None:
    """One entry of the batch, or None when it is not an event we can store."""
    if not isinstance(raw, dict):
        return None
    try:
        payload: dict[str, Any] = _clean(raw)
    except RecursionError:
        return None
    name = _text(payload.get("event"), 32)
    stamp = payload.get("timestamp")
    if name is None or not isinstance(stamp, int | float) or isinstance(stamp, bool):
        return None
    try:
        occurred_at = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, ValueError, OSError):
        return None
    email = _text(payload.get("email"), 254)
    reason = _text(payload.get("reason"), 1000) or _text(payload.get("response"), 1000)
    return SendGridEvent(
        event=name,
        sg_message_id=_text(payload.get("sg_message_id"), 255),
        occurred_at=occurred_at,
        email=email,
        reason=reason,
        bounce_type=_text(payload.get("type"), 32),
        delivery_id=_int_arg(payload.get("delivery_id")),
        idempotency_key=_text(payload.get("idempotency_key"), 300),
        payload=payload,
    )


def parse_batch(body: bytes) -> list[SendGridEvent | None]:
    """The batch as events; an entry that is not a usable event is None."""

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        document = json.loads(body, parse_constant=refuse_constant)
    except (ValueError, RecursionError) as err:
        raise MalformedEvents("The body is not valid JSON") from err
    if not isinstance(document, list):
        raise MalformedEvents("The body must be a JSON array of events")
    return [_event(raw) for raw in document]


async def _deliveries(session: AsyncSession, events: Iterable[SendGridEvent]) -> list[Delivery]:
    """Every delivery the batch may name, locked in id order (concurrent batches never deadlock)."""
    events = list(events)
    ids = {e.delivery_id for e in events if e.delivery_id is not None}
    keys = {e.idempotency_key for e in events if e.idempotency_key is not None}
    prefixes = {e.message_prefix for e in events if e.message_prefix is not None}
    conditions: list[ColumnElement[bool]] = []
    if ids:
        conditions.append(col(Delivery.id).in_(ids))
    if keys:
        conditions.append(col(Delivery.idempotency_key).in_(keys))
    if prefixes:
        conditions.append(col(Delivery.provider_message_id).in_(prefixes))
    if not conditions:
        return []
    query = select(Delivery).where(or_(*conditions)).order_by(col(Delivery.id)).with_for_update()
    return list((await session.exec(query)).all())


class _Matcher:
    """Finds an event's delivery: by our delivery id (when the key agrees: another environment
    sharing the SendGrid account has its own ids), by our key, then by SendGrid's message id."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        self.by_id = {d.id: d for d in deliveries}
        self.by_key = {d.idempotency_key: d for d in deliveries}
        self.by_message = {d.provider_message_id: d for d in deliveries if d.provider_message_id}

    def match(self, event: SendGridEvent) -> Delivery | None:
        if event.delivery_id is not None:
            found = self.by_id.get(event.delivery_id)
            if found is not None and event.idempotency_key in (None, found.idempotency_key):
                return found
        if event.idempotency_key is not None and event.idempotency_key in self.by_key:
            return self.by_key[event.idempotency_key]
        return self.by_message.get(event.message_prefix) if event.message_prefix is not None else None


async def _store(session: AsyncSession, event: SendGridEvent, delivery: Delivery | None) -> bool:
    """Store the event once; False when this exact event was stored before (a replay)."""
    statement = (
        insert(DeliveryEvent)
        .values(
            delivery_id=delivery.id if delivery is not None else None,
            provider_message_id=event.message_id,
            event=event.event,
            event_at=event.occurred_at,
            payload=event.payload,
        )
        .on_conflict_do_nothing(index_elements=["provider_message_id", "event", "event_at"])
        .returning(col(DeliveryEvent.id))
    )
    return (await (await session.connection()).execute(statement)).first() is not None


def _advance(delivery: Delivery, event: SendGridEvent, status: DeliveryStatus, now: datetime) -> None:
    """Move the delivery forward, never back."""
    if not delivery.provider_message_id and event.message_prefix is not None:
        delivery.provider_message_id = event.message_prefix
    if delivery.sent_at is None and status == DeliveryStatus.SENT:
        delivery.sent_at = event.occurred_at
    if RANK[status] > RANK.get(DeliveryStatus(delivery.status), 0):
        delivery.status = status
    delivery.updated_at = now


def _key(*parts: object) -> str:
    """A stable key for history and tasks (addresses hashed: keys stay short and plain)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


async def _confirm_sent(session: AsyncSession, delivery: Delivery, event: SendGridEvent) -> None:
    """A delivery whose outcome was unknown was accepted by SendGrid after all."""
    assert delivery.id is not None
    await write_history(
        session,
        customer_id=delivery.customer_id,
        enrollment_id=delivery.enrollment_id,
        invoice_id=delivery.invoice_id,
        action="delivery_confirmed",
        description=f"SendGrid confirms that message {delivery.id} was accepted; it was not sent twice.",
        actor=ACTOR,
        occurred_at=event.occurred_at,
        details={"delivery_id": delivery.id, "sg_message_id": event.message_id},
        key=f"sendgrid:confirmed:{delivery.id}",
        last_action=False,
    )
    # The specialist was asked to check this message: SendGrid has answered for them.
    asked = select(Task).where(
        Task.idempotency_key == f"unknown:{delivery.id}", Task.status == TaskStatus.OPEN
    )
    question = (await session.exec(asked)).first()
    if question is not None:
        question.status = TaskStatus.DONE
        question.completed_at = event.occurred_at
        question.completed_by = ACTOR
        session.add(question)


async def _suppress(session: AsyncSession, customer_id: int, email: str, why: str, at: datetime) -> bool:
    """Stop emailing the customer's contacts at this address; returns whether one was found."""
    query = select(Contact).where(
        Contact.customer_id == customer_id, func.lower(col(Contact.email)) == email.lower()
    )
    contacts = list((await session.exec(query)).all())
    for contact in contacts:
        if contact.suppressed_at is None:
            contact.suppressed_at, contact.suppression_reason = at, why
            session.add(contact)
    return bool(contacts)


async def _report_unreachable(session: AsyncSession, delivery: Delivery, event: SendGridEvent) -> None:
    """Suppress the address, say so in the history, and give the specialist a task to fix it."""
    assert delivery.id is not None
    action, happened, todo = UNREACHABLE[event.event]
    email = event.email or "an unknown address"
    reason = f": {event.reason}" if event.reason else ""
    # A "blocked" bounce is the receiving server refusing us (reputation, content), not a bad
    # address: the attempt failed, but the contact stays reachable.
    blocked = event.event == "bounce" and event.bounce_type == "blocked"
    found = False
    if event.email is not None and not blocked:
        why = f"{event.event}{reason}"[:2000]
        found = await _suppress(session, delivery.customer_id, event.email, why, event.occurred_at)
    if blocked:
        consequence = "The receiving server blocked it; the address is kept."
    elif found:
        consequence = "The address will not be emailed again until the contact is fixed."
    else:
        consequence = "No contact of this customer has this address."
    description = f"Email to {email} {happened}{reason} (message {delivery.id}). {consequence}"
    await write_history(
        session,
        customer_id=delivery.customer_id,
        enrollment_id=delivery.enrollment_id,
        invoice_id=delivery.invoice_id,
        action=action,
        description=description,
        actor=ACTOR,
        occurred_at=event.occurred_at,
        details={
            "delivery_id": delivery.id,
            "email": event.email,
            "event": event.event,
            "reason": event.reason,
            "type": event.bounce_type,
            "contact_suppressed": found,
        },
        key=f"sendgrid:{event.event}:{delivery.id}:{_key(event.email)}",
        last_action=False,
    )
    customer = await session.get(Customer, delivery.customer_id)
    task = (
        insert(Task)
        .values(
            customer_id=delivery.customer_id,
            invoice_id=delivery.invoice_id,
            assignee_id=customer.specialist_id if customer is not None else None,
            # One task per address and message, whichever of its events comes first.
            idempotency_key=f"sendgrid:unreachable:{delivery.id}:{_key(event.email)}",
            title=f"Email to {email} {happened}: {todo}"[:300],
            description=description,
            due_date=event.occurred_at.date(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await (await session.connection()).execute(task)


async def apply_batch(session: AsyncSession, body: bytes, *, now: datetime) -> BatchReceipt:
    """Apply a verified batch; the caller's transaction makes it all or nothing."""
    entries = parse_batch(body)
    events = [e for e in entries if e is not None]
    receipt = BatchReceipt(received=len(entries), ignored=len(entries) - len(events))
    matcher = _Matcher(await _deliveries(session, events))
    for event in events:
        delivery = matcher.match(event)
        if not await _store(session, event, delivery):
            receipt.duplicates += 1
            continue
        status = STATUS_OF_EVENT.get(event.event)
        if delivery is None:
            receipt.unmatched += 1
            log.info("webhook.sendgrid_unmatched", event_type=event.event, sg_message_id=event.message_id)
            continue
        if status is None:
            receipt.ignored += 1
            continue
        was_unknown = delivery.status == DeliveryStatus.UNKNOWN
        _advance(delivery, event, status, now)
        session.add(delivery)
        if was_unknown and delivery.status != DeliveryStatus.UNKNOWN:
            await _confirm_sent(session, delivery, event)
        if event.event in UNREACHABLE:
            await _report_unreachable(session, delivery, event)
        receipt.applied += 1
    log.info(
        "webhook.sendgrid_batch",
        received=receipt.received,
        applied=receipt.applied,
        duplicates=receipt.duplicates,
        unmatched=receipt.unmatched,
        ignored=receipt.ignored,
    )
    return receipt
