"""Tasks for AR specialists, and deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from services.schemas.common import Response


class TaskOut(Response):
    id: int
    customer_id: int
    invoice_id: int | None
    assignee_id: int | None
    title: str
    description: str
    due_date: date | None
    status: str
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None


class DeliveryOut(Response):
    id: int
    customer_id: int
    enrollment_id: int | None
    invoice_id: int | None
    channel: str
    recipients: list[dict[str, object]]
    subject: str | None
    status: str
    provider: str | None
    provider_message_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryStatusChange(Response):
    """One stored fact about a delivery's status, and when it happened."""

    # None: a provider event that changes no status (e.g. an event arcadence does not track).
    status: str | None
    at: datetime
    # Where the fact is stored: the delivery row itself, a provider (webhook) event, or a
    # customer history entry that names the delivery.
    source: Literal["delivery", "provider_event", "history"]
    # The provider's event name ("processed", "open", ...) or the history entry's action.
    event: str | None = None
    note: str | None = None


class DeliveryDetailOut(DeliveryOut):
    """Exactly what was sent: the rendered message as stored, and everything that became of it."""

    step_id: int | None
    html_body: str | None
    text_body: str
    # File names only, as recorded on the delivery; the bytes are never returned.
    attachments: list[str]
    updated_at: datetime
    # Oldest first; the row's creation (status pending) always comes first.
    status_history: list[DeliveryStatusChange]
