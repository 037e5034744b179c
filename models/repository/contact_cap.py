"""What the contact-frequency cap counts: the customer's deliveries that reached the provider."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Delivery


async def customer_sends_since(session: AsyncSession, customer_id: int, since: datetime) -> list[Delivery]:
    """The customer's deliveries the provider accepted at or after `since`, oldest first."""
    query = (
        select(Delivery)
        .where(
            Delivery.customer_id == customer_id,
            col(Delivery.sent_at).is_not(None),
            col(Delivery.sent_at) >= since,
        )
        .order_by(col(Delivery.sent_at))
    )
    return list((await session.exec(query)).all())
