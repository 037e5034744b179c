"""Tasks for AR specialists, and deliveries."""

from __future__ import annotations

from datetime import date, datetime

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
