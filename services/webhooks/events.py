"""SendGrid's Event Webhook, second step: the signed body read as events, and what each event
says about a delivery's status (a ladder statuses only climb).

Events arrive batched, late, out of order and replayed for up to a day: parsing keeps what can be
stored (no NUL, no lone surrogates, bounded lengths) and drops entries that are not events.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.enums import DeliveryStatus
from services.errors import ServiceError

MAX_INT4 = 2_147_483_647


class MalformedEvents(ServiceError):
    status, code = 400, "malformed_events"


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
