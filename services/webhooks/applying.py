"""SendGrid's Event Webhook, last step: each verified event applied once to its delivery
(status, suppressed address, history, a task for the specialist).

Every effect is idempotent, because SendGrid replays: events are stored once per (message id,
event, timestamp), statuses only move forward (`domain.deliveries.moves_forward`), and the
history entry and the task carry keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.automations import is_automation_delivery
from domain.deliveries import moves_forward
from domain.enums import DeliveryStatus, EventKind, HistoryAction, SuppressionSource, TaskStatus
from models import Customer, Delivery
from models.history import write_history
from models.repository import (
    create_task_once,
    deliveries_for_update,
    open_task_by_key,
    store_event_once,
    suppress_once,
)
from models.repository.automations import write_event
from services.webhooks.events import STATUS_OF_EVENT, SendGridEvent, parse_batch

DELIVERY_EVENTS = {
    "bounce": EventKind.DELIVERY_BOUNCED,
    "dropped": EventKind.DELIVERY_DROPPED,
    "open": EventKind.DELIVERY_OPENED,
}

log = structlog.get_logger("arcadence.webhooks")

ACTOR = "sendgrid"

# Events after which the address gets no more email, and what a person should do about it.
UNREACHABLE = {
    "bounce": (HistoryAction.EMAIL_BOUNCED, "bounced", "fix the contact"),
    "dropped": (HistoryAction.EMAIL_DROPPED, "was dropped", "fix the contact"),
    "spamreport": (HistoryAction.EMAIL_SPAM_REPORTED, "was reported as spam", "reach them another way"),
    "unsubscribe": (HistoryAction.EMAIL_UNSUBSCRIBED, "was unsubscribed from", "reach them another way"),
    "group_unsubscribe": (
        HistoryAction.EMAIL_UNSUBSCRIBED,
        "was unsubscribed from",
        "reach them another way",
    ),
}


@dataclass(slots=True)
class BatchReceipt:
    """received = applied + duplicates + unmatched + ignored."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0
    ignored: int = 0
    # Customers with new delivery events for their automations: their enrollments re-plan.
    customers_with_events: set[int] = field(default_factory=set)


async def _deliveries(session: AsyncSession, events: Iterable[SendGridEvent]) -> list[Delivery]:
    """Every delivery the batch may name, locked in id order (concurrent batches never deadlock)."""
    events = list(events)
    ids = {e.delivery_id for e in events if e.delivery_id is not None}
    keys = {e.idempotency_key for e in events if e.idempotency_key is not None}
    prefixes = {e.message_prefix for e in events if e.message_prefix is not None}
    return await deliveries_for_update(session, ids=ids, keys=keys, message_ids=prefixes)


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
    return await store_event_once(
        session,
        delivery_id=delivery.id if delivery is not None else None,
        provider_message_id=event.message_id,
        event=event.event,
        event_at=event.occurred_at,
        payload=event.payload,
    )


def _advance(delivery: Delivery, event: SendGridEvent, status: DeliveryStatus, now: datetime) -> None:
    """Move the delivery forward, never back."""
    if not delivery.provider_message_id and event.message_prefix is not None:
        delivery.provider_message_id = event.message_prefix
    if delivery.sent_at is None and status == DeliveryStatus.SENT:
        delivery.sent_at = event.occurred_at
    if moves_forward(delivery.status, status):
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
        action=HistoryAction.DELIVERY_CONFIRMED,
        description=f"SendGrid confirms that message {delivery.id} was accepted; it was not sent twice.",
        actor=ACTOR,
        occurred_at=event.occurred_at,
        details={"delivery_id": delivery.id, "sg_message_id": event.message_id},
        key=f"sendgrid:confirmed:{delivery.id}",
    )
    # The specialist was asked to check this message: SendGrid has answered for them.
    question = await open_task_by_key(session, f"unknown:{delivery.id}")
    if question is not None:
        question.status = TaskStatus.DONE
        question.completed_at = event.occurred_at
        question.completed_by = ACTOR
        session.add(question)


async def _suppress(session: AsyncSession, delivery: Delivery, event: SendGridEvent, why: str) -> bool:
    """Never write to this address again, whoever it belongs to (a contact of any customer, a
    workflow's extra recipient, an internal user); returns whether this customer has a contact
    at it."""
    assert event.email is not None
    contacts = await suppress_once(
        session,
        address=event.email,
        source=SuppressionSource(event.event),
        reason=why,
        since=event.occurred_at,
        delivery_id=delivery.id,
    )
    return any(c.customer_id == delivery.customer_id for c in contacts)


async def _report_unreachable(session: AsyncSession, delivery: Delivery, event: SendGridEvent) -> None:
    """Suppress the address, say so in the history, and give the specialist a task to fix it."""
    assert delivery.id is not None
    action, happened, todo = UNREACHABLE[event.event]
    email = event.email or "an unknown address"
    reason = f": {event.reason}" if event.reason else ""
    # A "blocked" bounce is the receiving server refusing us (reputation, content), not a bad
    # address: the attempt failed, but the contact stays reachable.
    blocked = event.event == "bounce" and event.bounce_type == "blocked"
    found = suppressed = False
    if event.email is not None and not blocked:
        why = f"{event.event}{reason}"[:2000]
        found = await _suppress(session, delivery, event, why)
        suppressed = True
    if blocked:
        consequence = "The receiving server blocked it; the address is kept."
    elif not suppressed:
        consequence = "SendGrid did not name the address."
    else:
        whose = "" if found else " (no contact of this customer has it)"
        consequence = f"The address{whose} will not be emailed again until a person lifts its suppression."
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
            "address_suppressed": suppressed,
        },
        key=f"sendgrid:{event.event}:{delivery.id}:{_key(event.email)}",
    )
    customer = await session.get(Customer, delivery.customer_id)
    await create_task_once(
        session,
        customer_id=delivery.customer_id,
        invoice_id=delivery.invoice_id,
        assignee_id=customer.specialist_id if customer is not None else None,
        # One task per address and message, whichever of its events comes first.
        key=f"sendgrid:unreachable:{delivery.id}:{_key(event.email)}",
        title=f"Email to {email} {happened}: {todo}",
        description=description,
        due_date=event.occurred_at.date(),
    )


async def _write_delivery_event(session: AsyncSession, delivery: Delivery, event: SendGridEvent) -> bool:
    """The automations' event of a bounce, drop or open, once per delivery and kind. A message an
    automation sent writes none: no automation reacts to another one's message (no loop)."""
    kind = DELIVERY_EVENTS.get(event.event)
    if kind is None or is_automation_delivery(delivery.occurrence_key):
        return False
    written = await write_event(
        session,
        customer_id=delivery.customer_id,
        kind=kind,
        occurred_at=event.occurred_at,
        actor=ACTOR,
        invoice_id=delivery.invoice_id,
        delivery_id=delivery.id,
        payload={"email": event.email, "reason": event.reason},
        source_key=f"sendgrid:{kind}:{delivery.id}",
    )
    return written is not None


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
        if await _write_delivery_event(session, delivery, event):
            receipt.customers_with_events.add(delivery.customer_id)
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
