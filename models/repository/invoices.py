"""Invoices: the open ones a cadence works on, their totals, pages, and the `domain` view of one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import InvoiceStatus
from domain.invoices import CLOSED_STATUSES
from domain.schedules import InvoiceSpec
from domain.templates import OpenBalance
from models import Invoice
from models.repository.paging import paged

# In a fixed order, so the statements Postgres sees do not change from one process to the next.
_CLOSED = sorted(CLOSED_STATUSES)


async def open_invoices(session: AsyncSession, customer_id: int) -> list[Invoice]:
    """Invoices that may still be in a cadence (the domain rules make the final call)."""
    query = (
        select(Invoice)
        .where(Invoice.customer_id == customer_id)
        .where(col(Invoice.status).not_in(_CLOSED))
        .where(col(Invoice.balance_due) > 0)
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )
    return list((await session.exec(query)).all())


async def listed_invoices(session: AsyncSession, customer_ids: list[int], limit: int) -> list[Invoice]:
    """The open, unpaused invoices a message lists: the `limit` oldest due of the customers it
    covers (the customer and those billed to it)."""
    query = (
        select(Invoice)
        .where(col(Invoice.customer_id).in_(customer_ids), col(Invoice.paused).is_(False))
        .where(col(Invoice.status).not_in(_CLOSED))
        .where(col(Invoice.balance_due) > 0)
        .order_by(col(Invoice.due_date), col(Invoice.number))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def open_balance(
    session: AsyncSession, customer_ids: list[int], currency: str, today: date
) -> OpenBalance:
    """The open invoices of the customers a message covers, in the home currency, summed in one
    statement."""
    is_open = and_(
        col(Invoice.customer_id).in_(customer_ids),
        col(Invoice.status).not_in(_CLOSED),
        col(Invoice.balance_due) > 0,
        col(Invoice.currency) == currency,
    )
    zero = literal(Decimal(0))
    query = sa_select(
        func.count(),
        func.coalesce(func.sum(Invoice.balance_due), zero),
        func.coalesce(func.sum(Invoice.balance_due).filter(col(Invoice.due_date) < today), zero),
        func.count().filter(col(Invoice.paused).is_(True)),
        func.coalesce(func.sum(Invoice.balance_due).filter(col(Invoice.paused).is_(True)), zero),
    ).where(is_open)
    count, outstanding, overdue, held_count, held = (await session.execute(query)).one()
    return OpenBalance(
        count=int(count),
        outstanding=Decimal(outstanding),
        overdue=Decimal(overdue),
        held_count=int(held_count),
        held=Decimal(held),
    )


async def invoices_by_external_id(session: AsyncSession, external_ids: list[str]) -> dict[str, Invoice]:
    query = select(Invoice).where(col(Invoice.external_id).in_(external_ids))
    return {i.external_id: i for i in (await session.exec(query)).all()}


async def invoices_page(
    session: AsyncSession, customer_id: int, status: InvoiceStatus | None, limit: int, offset: int
) -> tuple[list[Invoice], int]:
    """A customer's invoices, oldest due first, optionally of one status."""
    query = select(Invoice).where(Invoice.customer_id == customer_id)
    if status is not None:
        query = query.where(Invoice.status == status.value)
    return await paged(session, query.order_by(col(Invoice.due_date), col(Invoice.id)), limit, offset)


def invoice_spec(invoice: Invoice) -> InvoiceSpec:
    assert invoice.id is not None
    return InvoiceSpec(
        id=invoice.id,
        number=invoice.number,
        status=InvoiceStatus(invoice.status),
        balance_due=invoice.balance_due,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        discount_end_date=invoice.discount_end_date,
        scheduled_payment_date=invoice.scheduled_payment_date,
        paused=invoice.paused,
    )
