"""Deliveries and their provider events (each stored once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import DeliveryStatus
from models import Delivery, DeliveryEvent
from models.repository.errors import NotFound
from models.repository.paging import narrowed, paged


async def delivery_for_update(session: AsyncSession, delivery_id: int) -> Delivery:
    """The delivery, locked until the transaction ends."""
    query = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    return row


async def delivery_id_by_key(session: AsyncSession, key: str) -> int:
    """The id of the delivery with this idempotency key (it must exist)."""
    existing = (await session.exec(select(Delivery.id).where(Delivery.idempotency_key == key))).one()
    assert existing is not None
    return existing


async def deliveries_for_update(
    session: AsyncSession, *, ids: set[int], keys: set[str], message_ids: set[str]
) -> list[Delivery]:
    """The deliveries with any of these ids, idempotency keys or provider message ids, locked in
    id order (so that concurrent callers never deadlock)."""
    conditions: list[ColumnElement[bool]] = []
    if ids:
        conditions.append(col(Delivery.id).in_(ids))
    if keys:
        conditions.append(col(Delivery.idempotency_key).in_(keys))
    if message_ids:
        conditions.append(col(Delivery.provider_message_id).in_(message_ids))
    if not conditions:
        return []
    query = select(Delivery).where(or_(*conditions)).order_by(col(Delivery.id)).with_for_update()
    return list((await session.exec(query)).all())


async def deliveries_page(
    session: AsyncSession,
    customer_id: int | None,
    enrollment_id: int | None,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """Newest first, optionally of one customer, enrollment or status."""
    query = narrowed(
        select(Delivery),
        {
            Delivery.customer_id: customer_id,
            Delivery.enrollment_id: enrollment_id,
            Delivery.status: status.value if status is not None else None,
        },
    )
    return await paged(session, query.order_by(col(Delivery.id).desc()), limit, offset)


async def store_event_once(
    session: AsyncSession,
    *,
    delivery_id: int | None,
    provider_message_id: str,
    event: str,
    event_at: datetime,
    payload: dict[str, Any],
) -> bool:
    """Store a provider event unless this exact one (message, event, instant) was stored before;
    returns whether it was new."""
    statement = (
        insert(DeliveryEvent)
        .values(
            delivery_id=delivery_id,
            provider_message_id=provider_message_id,
            event=event,
            event_at=event_at,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["provider_message_id", "event", "event_at"])
        .returning(col(DeliveryEvent.id))
    )
    return (await (await session.connection()).execute(statement)).first() is not None


async def events_of_delivery(session: AsyncSession, delivery: Delivery) -> list[DeliveryEvent]:
    """The provider events matched to the delivery, in the order they happened."""
    query = (
        select(DeliveryEvent)
        .where(DeliveryEvent.delivery_id == delivery.id)
        .order_by(col(DeliveryEvent.event_at), col(DeliveryEvent.id))
    )
    return list((await session.exec(query)).all())


async def delivery_by_key(session: AsyncSession, key: str, *, lock: bool = False) -> Delivery:
    """The delivery with this business key (one per customer, step, invoice, day and channel)."""
    query = select(Delivery).where(Delivery.idempotency_key == key)
    if lock:
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(f"delivery {key} does not exist")
    return row
