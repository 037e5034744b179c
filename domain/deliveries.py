"""A delivery's statuses, decided here: which are settled, and the ladder provider events climb.

- *Settled*: the send has been decided — the provider accepted it, refused it, or may have
  accepted it (`unknown`): a retried send never calls the provider again for it.
- *The ladder*: statuses only move up it, so late or reordered provider events never undo a
  later one. A failure outranks delivery and engagement (a bounce after "delivered" is still a
  bounce), and the recipient's own refusals outrank everything.
"""

from __future__ import annotations

from datetime import date

from domain.enums import DeliveryStatus

NOT_YET_SENT: frozenset[DeliveryStatus] = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING})
SETTLED: frozenset[DeliveryStatus] = frozenset(DeliveryStatus) - NOT_YET_SENT
# The provider accepted it (and maybe more happened since).
REACHED: frozenset[DeliveryStatus] = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.DEFERRED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.OPENED,
        DeliveryStatus.CLICKED,
    }
)

LADDER: dict[DeliveryStatus, int] = {
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
    DeliveryStatus.WITHHELD: 6,
    DeliveryStatus.UNSUBSCRIBED: 7,
    DeliveryStatus.SPAM_REPORTED: 8,
}


def delivery_key(
    customer_id: int, step_id: int, invoice_id: int | None, local_date: date, channel: str
) -> str:
    """A delivery's business key: one message per customer, step, invoice, local day and channel,
    whatever the enrollment (a cancel and re-enroll on the same day sends nothing twice)."""
    invoice = invoice_id if invoice_id is not None else "-"
    return f"{customer_id}:{step_id}:{invoice}:{local_date.isoformat()}:{channel}"


def is_settled(status: str) -> bool:
    """True once the provider has been asked (or may have been): never send it again."""
    return status in SETTLED


def moves_forward(current: str, new: DeliveryStatus) -> bool:
    """Whether a provider event saying `new` may replace `current` (never a step back)."""
    return LADDER[new] > LADDER.get(DeliveryStatus(current), 0)
