"""Customers (with their hierarchy, pause state and last action) and their contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from domain.enums import AutopayAnchor, BillingLevel
from models.base import enum_check, timestamptz, utcnow


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        enum_check("autopay_anchor", AutopayAnchor, "autopay_anchor"),
        enum_check("billing_level", BillingLevel, "billing_level"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("NOT bill_to_parent OR parent_id IS NOT NULL", name="bill_to_parent_needs_parent"),
        CheckConstraint(
            "contact_cap_count IS NULL OR contact_cap_count BETWEEN 1 AND 100", name="contact_cap_count"
        ),
        CheckConstraint(
            "contact_cap_days IS NULL OR contact_cap_days BETWEEN 1 AND 366", name="contact_cap_days"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True)
    name: str = Field(max_length=300)
    currency: str = Field(default="USD", max_length=3)
    locale: str = Field(default="en_US", max_length=16)
    # The customer's own zone and holiday country: its messages go at the organization's send
    # time there (None: the primary contact's zone, else the organization's; docs/CONTROLS.md).
    time_zone: str | None = Field(default=None, max_length=64)
    holiday_country: str | None = Field(default=None, max_length=2)
    # Deleting a parent must not silently delete its children's books: it is refused.
    parent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=True, index=True),
    )
    bill_to_parent: bool = Field(default=False)
    # Only read when bill_to_parent is set: billed to the direct parent, or to the hierarchy's root.
    billing_level: str = Field(
        default=BillingLevel.IMMEDIATE.value,
        sa_column=Column(String(16), nullable=False, server_default=BillingLevel.IMMEDIATE.value),
    )
    autopay: bool = Field(default=False)
    autopay_anchor: str = Field(default=AutopayAnchor.DUE_DATE.value, max_length=16)
    specialist_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    paused: bool = Field(default=False)
    paused_until: datetime | None = Field(default=None, sa_column=timestamptz())
    pause_reason: str | None = Field(default=None, max_length=500)
    paused_by: str | None = Field(default=None, max_length=254)
    # The customer's own contact-frequency cap (null: the organization's).
    contact_cap_count: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    contact_cap_days: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    last_action: str | None = Field(default=None, max_length=500)
    last_action_by: str | None = Field(default=None, max_length=254)
    last_action_at: datetime | None = Field(default=None, sa_column=timestamptz())
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="reachable"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    # A primary contact's zone is the customer's when the customer names none.
    time_zone: str | None = Field(default=None, max_length=64)
    roles: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(32)), nullable=False, server_default=text("'{}'")),
    )
    # A bounce, drop, spam report or unsubscribe stops future sends to this address.
    suppressed_at: datetime | None = Field(default=None, sa_column=timestamptz())
    suppression_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
