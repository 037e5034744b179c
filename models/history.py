"""Writing the customer history: one entry per key, and the customer's last action (by the one
rule, `domain.history.is_last_action`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import HistoryAction
from domain.history import is_last_action
from models.customers import Customer
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


async def write_history_many(
    session: AsyncSession,
    *,
    entries: Sequence[tuple[int, int | None]],
    action: HistoryAction,
    description: str,
    actor: str,
    occurred_at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """The same entry for many customers (`entries`: customer id, enrollment id), in one
    multi-row insert; and, when the rule makes it their Last Action, one update of those
    customers. A bulk job's "Enrolled in ..." lines: no idempotency key, like `write_history`'s
    callers for a person's action."""
    if not entries:
        return
    text = description[:5000]
    await (await session.connection()).execute(
        insert(HistoryEntry).values(
            [
                {
                    "customer_id": customer_id,
                    "enrollment_id": enrollment_id,
                    "invoice_id": None,
                    "idempotency_key": None,
                    "occurred_at": occurred_at,
                    "action": action,
                    "actor": actor,
                    "description": text,
                    "details": details or {},
                }
                for customer_id, enrollment_id in entries
            ]
        )
    )
    if is_last_action(action, actor):
        await (await session.connection()).execute(
            update(Customer)
            .where(col(Customer.id).in_(sorted({customer_id for customer_id, _ in entries})))
            .values(last_action=description[:500], last_action_by=actor, last_action_at=occurred_at)
        )
