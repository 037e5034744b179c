"""Reading the customer history (writing it is `models.history.write_history`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Delivery, HistoryEntry
from models.repository.paging import paged


async def history_page(
    session: AsyncSession,
    customer_id: int,
    limit: int,
    offset: int,
    *,
    actions: Collection[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[HistoryEntry], int]:
    """The customer's history, newest first; only `actions` when given, and only entries at or
    after `start` and before `end` when given."""
    query = select(HistoryEntry).where(HistoryEntry.customer_id == customer_id)
    if actions is not None:
        query = query.where(col(HistoryEntry.action).in_(sorted(actions)))
    if start is not None:
        query = query.where(col(HistoryEntry.occurred_at) >= start)
    if end is not None:
        query = query.where(col(HistoryEntry.occurred_at) < end)
    query = query.order_by(col(HistoryEntry.occurred_at).desc(), col(HistoryEntry.id).desc())
    return await paged(session, query, limit, offset)


async def history_naming_delivery(session: AsyncSession, delivery: Delivery) -> list[HistoryEntry]:
    """The customer history entries naming the delivery (by `details.delivery_id`, or in a step
    record's `details.deliveries`), oldest first."""
    details = col(HistoryEntry.details)
    query = (
        select(HistoryEntry)
        .where(HistoryEntry.customer_id == delivery.customer_id)
        .where(
            or_(
                details["delivery_id"].astext == str(delivery.id),
                details["deliveries"].contains([{"id": delivery.id}]),
            )
        )
        .order_by(col(HistoryEntry.occurred_at), col(HistoryEntry.id))
    )
    return list((await session.exec(query)).all())
