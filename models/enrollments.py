"""Enrollments (a customer in a workflow) and the customer history they and people write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from domain.enums import EnrollmentState
from models.base import enum_check, jsonb, timestamptz, utcnow


class Enrollment(SQLModel, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (
        enum_check("state", EnrollmentState, "state"),
        # At most one live enrollment per customer; ended ones stay for the record.
        Index(
            "uq_enrollment_live_customer",
            "customer_id",
            unique=True,
            postgresql_where=text("state IN ('active', 'paused')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    definition_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="RESTRICT"), nullable=False)
    )
    definition_version: int = Field(default=1)
    state: str = Field(default=EnrollmentState.ACTIVE.value, max_length=16)
    anchor_date: date
    # True when enrolled on its own, so a bill-to-parent child stops following its parent.
    individually_enrolled: bool = Field(default=True)
    enrolled_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    enrolled_by: str = Field(max_length=254)
    workflow_id: str = Field(max_length=255, index=True)
    next_step_at: datetime | None = Field(default=None, sa_column=timestamptz(index=True))
    continue_with_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_definition.id", ondelete="SET NULL"), nullable=True),
    )
    ended_at: datetime | None = Field(default=None, sa_column=timestamptz())


class HistoryEntry(SQLModel, table=True):
    """One line of a customer's history: what happened, who did it, and why."""

    __tablename__ = "history_entry"
    __table_args__ = (Index("ix_history_customer_occurred", "customer_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    )
    invoice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="SET NULL"), nullable=True),
    )
    enrollment_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("enrollment.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    # A retried activity writes the same entry once: the key is the occurrence key + action.
    idempotency_key: str | None = Field(default=None, max_length=300, unique=True)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    action: str = Field(max_length=64)
    actor: str = Field(max_length=254)
    description: str = Field(sa_column=Column(Text, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
