"""Disputes: the open one of an invoice, a customer's, and pages of them by state."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import DisputeState
from models import Dispute, Invoice
from models.repository.paging import narrowed, paged


async def open_dispute_of(session: AsyncSession, invoice_id: int) -> Dispute | None:
    query = select(Dispute).where(Dispute.invoice_id == invoice_id, Dispute.state == DisputeState.OPEN)
    return (await session.exec(query)).first()


async def load_dispute(session: AsyncSession, dispute_id: int, *, lock: bool = False) -> Dispute | None:
    return await session.get(Dispute, dispute_id, with_for_update=lock)


async def disputes_of(session: AsyncSession, customer_id: int) -> list[tuple[Dispute, Invoice]]:
    """A customer's disputes with their invoices, newest first."""
    query = (
        select(Dispute, Invoice)
        .join(Invoice, col(Invoice.id) == col(Dispute.invoice_id))
        .where(Dispute.customer_id == customer_id)
        .order_by(col(Dispute.id).desc())
    )
    return list((await session.exec(query)).all())


async def disputes_page(
    session: AsyncSession, state: DisputeState | None, customer_id: int | None, limit: int, offset: int
) -> tuple[list[Dispute], int]:
    """Oldest first: the longest-open dispute heads the queue."""
    query = narrowed(
        select(Dispute),
        {Dispute.state: state.value if state is not None else None, Dispute.customer_id: customer_id},
    )
    return await paged(session, query.order_by(col(Dispute.opened_at), col(Dispute.id)), limit, offset)
