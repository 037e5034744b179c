"""Writing the customer history: one entry per key, and the customer's last action (by the one
rule, `domain.history.is_last_action`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import HistoryAction
from domain.history import is_last_action
from models.enrollments import HistoryEntry
from models.repository.customers import load_customer


async def write_history(
    session: AsyncSession,
    *,
    customer_id: int,
    action: HistoryAction,
    description: str,
    actor: str,
    occurred_at: datetime,
    enrollment_id: int | None = None,
    invoice_id: int | None = None,
    details: dict[str, Any] | None = None,
    key: str | None = None,
    last_action: bool = True,
) -> bool:
    """Insert one history entry (once per key); returns whether it was new.

    The entry becomes the customer's Last Action when the domain's rule says so (a send to the
    customer, or a person's action). `last_action=False` only vetoes: an ended enrollment's last
    words are kept but do not speak for the customer; it can never make a skip the Last Action.
    """
    statement = (
        insert(HistoryEntry)
        .values(
            customer_id=customer_id,
            enrollment_id=enrollment_id,
            invoice_id=invoice_id,
            idempotency_key=key,
            occurred_at=occurred_at,
            action=action,
            actor=actor,
            description=description[:5000],
            details=details or {},
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(col(HistoryEntry.id))
    )
    inserted = (await (await session.connection()).execute(statement)).first() is not None
    if inserted and last_action and is_last_action(action, actor):
        customer = await load_customer(session, customer_id, lock=True)
        customer.last_action = description[:500]
        customer.last_action_by = actor
        customer.last_action_at = occurred_at
        session.add(customer)
    return inserted
