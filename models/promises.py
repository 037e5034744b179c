"""Promises to pay (and the invoices each covers) and disputes on invoices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from domain.enums import DisputeReason, DisputeState, PromiseState
from models.base import enum_check, money_column, timestamptz, utcnow


class PromiseToPay(SQLModel, table=True):
    __tablename__ = "promise_to_pay"
    __table_args__ = (
        enum_check("state", PromiseState, "state"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("grace_days BETWEEN 0 AND 30", name="grace_days_range"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        Index("ix_promise_to_pay_customer_state", "customer_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    state: str = Field(default=PromiseState.OPEN.value, max_length=16)
    # True when it covers the whole balance: every open invoice when it was recorded.
    whole_balance: bool = Field(default=False)
    amount: Decimal = Field(sa_column=money_column())
    currency: str = Field(default="USD", max_length=3)
    promised_date: date
    # The organization's grace when it was recorded; the deadline is computed from both once.
    grace_days: int = Field(default=2)
    deadline_at: datetime = Field(sa_column=timestamptz(nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    recorded_by: str = Field(max_length=254)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    # What had been paid toward the amount when it closed (kept, broken or cancelled).
    paid_at_close: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=timestamptz())
    closed_by: str | None = Field(default=None, max_length=254)


class PromiseInvoice(SQLModel, table=True):
    __tablename__ = "promise_invoice"

    promise_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("promise_to_pay.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    invoice_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("invoice.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,
        )
    )
    # The balance due when the promise was made: what was paid since is measured from it.
    balance_at_promise: Decimal = Field(sa_column=money_column())


class Dispute(SQLModel, table=True):
    __tablename__ = "dispute"
    __table_args__ = (
        enum_check("state", DisputeState, "state"),
        enum_check("reason", DisputeReason, "reason"),
        # One open dispute per invoice; resolved ones stay for the record.
        Index("uq_dispute_open_invoice", "invoice_id", unique=True, postgresql_where=text("state = 'open'")),
        Index("ix_dispute_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(
        sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False)
    )
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    state: str = Field(default=DisputeState.OPEN.value, max_length=16)
    reason: str = Field(max_length=32)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    opened_by: str = Field(max_length=254)
    opened_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    resolved_by: str | None = Field(default=None, max_length=254)
    resolved_at: datetime | None = Field(default=None, sa_column=timestamptz())
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
