"""Replies from customers, received through SendGrid Inbound Parse, and who handled them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text, text
from sqlmodel import Field, SQLModel

from models.base import jsonb, timestamptz, utcnow


class InboundReply(SQLModel, table=True):
    __tablename__ = "inbound_reply"
    __table_args__ = (
        CheckConstraint("matched_by IN ('token', 'sender', 'none')", name="matched_by"),
        CheckConstraint("(matched_by = 'none') = (customer_id IS NULL)", name="matched_has_customer"),
        Index("ix_inbound_reply_unhandled", "customer_id", postgresql_where=text("handled_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    delivery_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="SET NULL"), nullable=True),
    )
    # How it was tied to the customer: the delivery's token, the sender's address, or not at all.
    matched_by: str = Field(sa_column=Column(String(8), nullable=False))
    from_address: str = Field(default="", max_length=320)
    from_field: str = Field(default="", max_length=998)
    to_field: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    subject: str = Field(default="", max_length=998)
    text_body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The HTML part as plain text: stored to be read, never rendered.
    html_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    # Whether this reply holds the customer's pause (it paused the customer, or joined a reply's pause).
    holds_pause: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    handled_at: datetime | None = Field(default=None, sa_column=timestamptz())
    handled_by: str | None = Field(default=None, max_length=254)
