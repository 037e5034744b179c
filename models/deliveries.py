"""Deliveries (one per message per occurrence), provider events, the dev outbox, and tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.enums import Channel, DeliveryStatus, TaskStatus
from models.base import enum_check, jsonb, timestamptz, utcnow


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        enum_check("status", DeliveryStatus, "status"),
        enum_check("channel", Channel, "channel"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Business key (customer + step + invoice + local date + channel, `domain.deliveries.delivery_key`):
    # never a Temporal run id, nor the enrollment (a re-enrollment sends nothing twice).
    idempotency_key: str = Field(max_length=300, unique=True)
    occurrence_key: str = Field(max_length=300, index=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    enrollment_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("enrollment.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    invoice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="SET NULL"), nullable=True),
    )
    step_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_step.id", ondelete="SET NULL"), nullable=True),
    )
    channel: str = Field(max_length=16)
    recipients: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    subject: str | None = Field(default=None, max_length=998)
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    provider: str | None = Field(default=None, max_length=32)
    provider_message_id: str | None = Field(default=None, max_length=255, index=True)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=timestamptz())


class DeliveryEvent(SQLModel, table=True):
    """A provider event (webhook), deduplicated on message id, event and timestamp."""

    __tablename__ = "delivery_event"
    __table_args__ = (
        UniqueConstraint("provider_message_id", "event", "event_at", name="uq_delivery_event_dedupe"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    provider_message_id: str = Field(max_length=255)
    event: str = Field(max_length=32)
    event_at: datetime = Field(sa_column=timestamptz(nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )


class OutboxMessage(SQLModel, table=True):
    """What the dev/test outbox channel "sent": exactly what a provider would have received."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    channel: str = Field(max_length=16)
    to_addresses: list[str] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    from_address: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=998)
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    custom_args: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (enum_check("status", TaskStatus, "status"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    invoice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="SET NULL"), nullable=True),
    )
    assignee_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    idempotency_key: str | None = Field(default=None, max_length=300, unique=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    due_date: date | None = None
    status: str = Field(default=TaskStatus.OPEN.value, max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    completed_at: datetime | None = Field(default=None, sa_column=timestamptz())
    completed_by: str | None = Field(default=None, max_length=254)
