"""Invoices: the open ones a cadence works on, their totals, pages, and the `domain` view of one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, literal, not_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from domain.enums import InvoiceStatus
from domain.invoices import CLOSED_STATUSES, HELD_COLLECTION_STATUSES, HELD_STATUSES
from domain.schedules import InvoiceSpec
from domain.templates import OpenBalance
from models import Invoice
from models.repository.paging import paged

# In a fixed order, so the statements Postgres sees do not change from one process to the next.
_CLOSED = sorted(CLOSED_STATUSES)
_HELD = sorted(HELD_STATUSES)
_HELD_COLLECTION = sorted(HELD_COLLECTION_STATUSES)


def _open_where(customers: ColumnElement[bool]) -> SelectOfScalar[Invoice]:
    """The invoices of `customers` that may still be in a cadence, oldest due first."""
    return (
        select(Invoice)
        .where(customers)
        .where(col(Invoice.status).not_in(_CLOSED))
        .where(col(Invoice.balance_due) > 0)
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )


async def open_invoices(session: AsyncSession, customer_id: int) -> list[Invoice]:
    """Invoices that may still be in a cadence (the domain rules make the final call)."""
    return list((await session.exec(_open_where(col(Invoice.customer_id) == customer_id))).all())


async def open_invoices_of_customers(
    session: AsyncSession, customer_ids: Sequence[int]
) -> dict[int, list[Invoice]]:
    """`open_invoices` of many customers in one query: each customer's, in the same order."""
    found: dict[int, list[Invoice]] = {customer_id: [] for customer_id in customer_ids}
    if not found:
        return found
    for invoice in (await session.exec(_open_where(col(Invoice.customer_id).in_(list(found))))).all():
        found[invoice.customer_id].append(invoice)
    return found


def _listed_clause() -> ColumnElement[bool]:
    """Not paused, not held by the sync's status nor by arcadence's collection status."""
    return and_(
        col(Invoice.paused).is_(False),
        col(Invoice.status).not_in(_HELD),
        col(Invoice.collection_status).not_in(_HELD_COLLECTION),
    )


async def listed_invoices(session: AsyncSession, customer_ids: Sequence[int], limit: int) -> list[Invoice]:
    """The invoices a message lists: open, in the cadence (not paused, not held), the `limit`
    oldest due, of the customers the communication covers."""
    query = (
        select(Invoice)
        .where(col(Invoice.customer_id).in_(list(customer_ids)))
        .where(col(Invoice.status).not_in(_CLOSED))
        .where(col(Invoice.balance_due) > 0)
        .where(_listed_clause())
        .order_by(col(Invoice.due_date), col(Invoice.number), col(Invoice.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def open_balance(
    session: AsyncSession, customer_ids: Sequence[int], currency: str, today: date
) -> OpenBalance:
    """The open invoices of the customers a communication covers, in the home currency, summed in
    one statement; paused and held ones are counted apart (in the totals, never listed), and the
    open invoices in other currencies are counted so a message can say they are not added in."""
    owed = and_(
        col(Invoice.customer_id).in_(list(customer_ids)),
        col(Invoice.status).not_in(_CLOSED),
        col(Invoice.balance_due) > 0,
    )
    home = col(Invoice.currency) == currency
    unlisted = and_(home, not_(_listed_clause()))
    zero = literal(Decimal(0))
    query = sa_select(
        func.count().filter(home),
        func.coalesce(func.sum(Invoice.balance_due).filter(home), zero),
        func.coalesce(func.sum(Invoice.balance_due).filter(home, col(Invoice.due_date) < today), zero),
        func.count().filter(unlisted),
        func.coalesce(func.sum(Invoice.balance_due).filter(unlisted), zero),
        func.count().filter(not_(home)),
        func.array_agg(func.distinct(Invoice.currency)).filter(not_(home)),
    ).where(owed)
    row = (await (await session.connection()).execute(query)).one()
    count, outstanding, overdue, held_count, held, other_count, others = row
    return OpenBalance(
        count=int(count),
        outstanding=Decimal(outstanding),
        overdue=Decimal(overdue),
        held_count=int(held_count),
        held=Decimal(held),
        other_currency_count=int(other_count),
        other_currencies=tuple(sorted(others or ())),
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


def held_between(invoice: Invoice) -> tuple[datetime, datetime] | None:
    """The invoice's last hold by its collection status, once it is over."""
    held, back = invoice.held_at, invoice.released_at
    return (held, back) if held is not None and back is not None and back >= held else None


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
        collection_status=invoice.collection_status,
        held_between=held_between(invoice),
    )
