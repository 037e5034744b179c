"""Approval gates: a step's prepared message waiting for a person's decision (docs/CONTROLS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from domain.enums import ApprovalState, OnExpiry, Role
from models.base import enum_check, jsonb, timestamptz, utcnow


class Approval(SQLModel, table=True):
    __tablename__ = "approval"
    __table_args__ = (
        enum_check("state", ApprovalState, "state"),
        enum_check("role", Role, "role"),
        enum_check("on_expiry", OnExpiry, "on_expiry"),
        Index("ix_approval_state_requested", "state", "requested_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # One gate per occurrence: a retried request finds the row it made.
    occurrence_key: str = Field(max_length=300, unique=True)
    enrollment_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("enrollment.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    step_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("workflow_step.id", ondelete="SET NULL"), nullable=True),
    )
    step_label: str = Field(default="", max_length=300)
    # The deliveries it holds back (all pending until the decision), and their rendered message.
    delivery_ids: list[int] = Field(default_factory=list, sa_column=jsonb("'[]'::jsonb"))
    subject: str | None = Field(default=None, max_length=998)
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(max_length=32)
    on_expiry: str = Field(max_length=16)
    state: str = Field(default=ApprovalState.PENDING.value, max_length=16)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=timestamptz(nullable=False))
    deadline: datetime = Field(sa_column=timestamptz(nullable=False))
    decided_by: str | None = Field(default=None, max_length=254)
    decided_at: datetime | None = Field(default=None, sa_column=timestamptz())
    # An edit: each changed field with its text before and after.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb())
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
