"""One page of an ordered query, and the total it pages through."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")


def narrowed(query: SelectOfScalar[T], equal: dict[Any, object | None]) -> SelectOfScalar[T]:
    """`query` with `column == value` for each column of `equal` whose value is given (not None)."""
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    return query


async def paged(
    session: AsyncSession, query: SelectOfScalar[T], limit: int, offset: int
) -> tuple[list[T], int]:
    """One page of `query` (already ordered) and the total it pages through."""
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (await session.exec(query.limit(limit).offset(offset))).all()
    return list(rows), int(total)
