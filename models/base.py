"""Shared column helpers for the tables: naming convention, money, UTC times, enum checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Numeric, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Deterministic constraint names keep Alembic autogenerate and error mapping stable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(18, 2, asdecimal=True)


def utcnow() -> datetime:
    """The current instant, timezone-aware; used only for audit columns, never for scheduling."""
    return datetime.now(UTC)


def money_column(*, nullable: bool = False) -> Column[Any]:
    return Column(MONEY, nullable=nullable)


def timestamptz(*, nullable: bool = True, server_now: bool = False, index: bool = False) -> Column[Any]:
    return Column(
        DateTime(timezone=True),
        nullable=nullable,
        server_default=text("now()") if server_now else None,
        index=index,
    )


def jsonb(default: str | None = "'{}'::jsonb", *, nullable: bool = False) -> Column[Any]:
    # none_as_null: a Python None is SQL NULL (so CHECKs on "IS NULL" hold), not JSON 'null'.
    return Column(
        JSONB(none_as_null=True),
        nullable=nullable,
        server_default=text(default) if default is not None else None,
    )


def enum_check(column: str, values: Iterable[StrEnum] | type[StrEnum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


class UnsavedRowError(RuntimeError):
    """A row's id was needed before the row was flushed: a bug, never a value to default."""


def require_id(row: SQLModel) -> int:
    """The row's primary key; fails loudly instead of turning a missing id into 0."""
    value = getattr(row, "id", None)
    if not isinstance(value, int):
        raise UnsavedRowError(f"{type(row).__name__} has no id yet: flush it before using its id")
    return value
