"""The organization's settings: one row that holds the zone, send time and sender identity."""

from __future__ import annotations

import secrets
from datetime import datetime, time

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Time, text
from sqlmodel import Field, SQLModel

from models.base import timestamptz, utcnow


class OrganizationSettings(SQLModel, table=True):
    __tablename__ = "organization_settings"
    __table_args__ = (
        # A single organization per deployment: the row id is pinned to 1.
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint("send_window_minutes BETWEEN 0 AND 720", name="send_window_range"),
        CheckConstraint("holiday_country IS NULL OR holiday_country ~ '^[A-Z]{2}$'", name="country"),
        CheckConstraint("promise_grace_days BETWEEN 0 AND 30", name="promise_grace_days_range"),
        CheckConstraint(
            "contact_cap_count IS NULL OR contact_cap_count BETWEEN 1 AND 100", name="contact_cap_count"
        ),
        CheckConstraint("contact_cap_days BETWEEN 1 AND 366", name="contact_cap_days"),
    )

    id: int = Field(default=1, primary_key=True)
    name: str = Field(max_length=200)
    time_zone: str = Field(default="America/New_York", max_length=64)
    send_time: time = Field(
        default=time(14, 30),
        sa_column=Column(Time(), nullable=False, server_default=text("'14:30'")),
    )
    business_days_only: bool = Field(default=False)
    holiday_country: str | None = Field(default=None, max_length=2)
    send_window_minutes: int = Field(default=0)
    default_definition_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="SET NULL"), nullable=True),
    )
    autopay_definition_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="SET NULL"), nullable=True),
    )
    sender_name: str = Field(default="Accounts Receivable", max_length=200)
    sender_email: str = Field(default="ar@example.com", max_length=254)
    reply_to: str | None = Field(default=None, max_length=254)
    # The HMAC key of automations' webhook calls when an automation has none of its own.
    automation_webhook_secret: str | None = Field(default=None, max_length=200)
    # Days after a promised date before an unpaid promise to pay is broken.
    promise_grace_days: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    # The path secret of SendGrid Inbound Parse (`/webhooks/sendgrid/inbound/<secret>`) and the key
    # of the reply tokens in outgoing Message-IDs; generated for the row (and at migration).
    inbound_secret: str = Field(
        default_factory=lambda: secrets.token_hex(32),
        sa_column=Column(String(64), nullable=False),
    )
    # A matched reply pauses the customer's automatic messages until a person handles it.
    replies_pause: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
    # At most `contact_cap_count` customer-facing messages per customer in any `contact_cap_days`
    # days (null: no cap); a customer may set its own.
    contact_cap_count: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    contact_cap_days: int = Field(
        default=7, sa_column=Column(Integer, nullable=False, server_default=text("7"))
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_by: str | None = Field(default=None, max_length=254)
