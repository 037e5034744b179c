"""People who use arcadence (AR team, support) and their hashed API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from domain.enums import Role
from models.base import enum_check, timestamptz, utcnow


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        enum_check("role", Role, "role"),
        # Emails are stored lower-cased so that the unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)
    role: str = Field(max_length=32)
    active: bool = Field(default=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )


class ApiKey(SQLModel, table=True):
    """An API key is stored as a SHA-256 hash; only its short prefix is kept readable."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(default="default", max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamptz(nullable=False, server_now=True)
    )
    revoked_at: datetime | None = Field(default=None, sa_column=timestamptz())
    last_used_at: datetime | None = Field(default=None, sa_column=timestamptz())
