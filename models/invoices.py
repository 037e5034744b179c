"""Invoices synced from accounting; status and balance decide whether they are in a cadence."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from domain.enums import CollectionStatus, InvoiceStatus
from models.base import enum_check, money_column, non_negative, timestamptz, utcnow


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        enum_check("status", InvoiceStatus, "status"),
        enum_check("collection_status", CollectionStatus, "collection_status"),
        non_negative("total"),
        non_negative("balance_due"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        Index("ix_invoice_customer_status", "customer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True)
    # An invoice is part of the books: deleting its customer is refused while it exists.
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    )
    number: str = Field(max_length=64)
    currency: str = Field(default="USD", max_length=3)
    total: Decimal = Field(sa_column=money_column())
    balance_due: Decimal = Field(sa_column=money_column())
    issue_date: date
    due_date: date
    discount_end_date: date | None = None
    scheduled_payment_date: date | None = None
    status: str = Field(default=InvoiceStatus.OPEN.value, max_length=16)
    # arcadence's own collection state: set by people and steps, never written by a sync.
    collection_status: str = Field(
        default=CollectionStatus.IN_COLLECTION.value,
        max_length=16,
        sa_column_kwargs={"server_default": CollectionStatus.IN_COLLECTION.value},
    )
    paused: bool = Field(default=False)
    # When its collection status last took it out of the cadence, and last brought it back:
    # what fell due in between meets the catch-up policy once it is back.
    held_at: datetime | None = Field(default=None, sa_column=timestamptz())
    released_at: datetime | None = Field(default=None, sa_column=timestamptz())
    pdf_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
