"""Suppressed addresses: never written to again (any address: a contact's, a workflow's extra
recipient, an internal user's), why and since when, until a person lifts the suppression."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from models.base import timestamptz, utcnow


class Suppression(SQLModel, table=True):
    __tablename__ = "suppression"
    __table_args__ = (
        # Stored normalised, so that one address is one suppression whatever its case.
        CheckConstraint("address = lower(address)", name="address_lower"),
        CheckConstraint("(lifted_at IS NULL) = (lifted_by IS NULL)", name="lifted_by_someone"),
        # At most one suppression in force per address; lifted ones stay for the record.
        Index(
            "uq_suppression_active_address",
            "address",
            unique=True,
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=254, index=True)
    # The provider's event that made the address unreachable (`SuppressionSource`).
    source: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    delivery_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("delivery.id", ondelete="SET NULL"), nullable=True),
    )
    since: datetime = Field(sa_column=timestamptz(nullable=False))
    lifted_at: datetime | None = Field(default=None, sa_column=timestamptz())
    lifted_by: str | None = Field(default=None, max_length=254)
    lift_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
