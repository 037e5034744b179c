"""Approval gates: one by id or by occurrence, the queue by state, the deliveries one holds."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.approvals import Approval
from models.deliveries import Delivery
from models.repository.errors import NotFound
from models.repository.paging import narrowed, paged


async def load_approval(session: AsyncSession, approval_id: int, *, lock: bool = False) -> Approval:
    query = select(Approval).where(Approval.id == approval_id)
    if lock:
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(f"approval {approval_id} does not exist")
    return row


async def approval_by_occurrence(session: AsyncSession, occurrence_key: str) -> Approval | None:
    query = select(Approval).where(Approval.occurrence_key == occurrence_key)
    return (await session.exec(query)).first()


async def approvals_page(
    session: AsyncSession, *, state: str | None, customer_id: int | None, limit: int, offset: int
) -> tuple[list[Approval], int]:
    """Oldest request first: what has waited longest comes first in the queue."""
    query = narrowed(select(Approval), {Approval.state: state, Approval.customer_id: customer_id}).order_by(
        col(Approval.requested_at), col(Approval.id)
    )
    return await paged(session, query, limit, offset)


async def held_deliveries(session: AsyncSession, approval: Approval) -> list[Delivery]:
    """The deliveries the gate holds back, locked until the transaction ends."""
    if not approval.delivery_ids:
        return []
    query = (
        select(Delivery)
        .where(col(Delivery.id).in_(approval.delivery_ids))
        .order_by(col(Delivery.id))
        .with_for_update()
    )
    return list((await session.exec(query)).all())


async def insert_approval_once(session: AsyncSession, approval: Approval) -> Approval:
    """The gate of an occurrence, made once: a retried request gets the row the first one made."""
    values = approval.model_dump(exclude={"id"})
    statement = insert(Approval).values(**values).on_conflict_do_nothing(index_elements=["occurrence_key"])
    await (await session.connection()).execute(statement)
    found = await approval_by_occurrence(session, approval.occurrence_key)
    if found is None:
        raise NotFound(f"approval {approval.occurrence_key} was not stored")
    return found
