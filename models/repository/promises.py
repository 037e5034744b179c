"""Promises to pay: loading them with the invoices they cover, the overlap check, and closing
one (kept, broken or cancelled) with its history entry, event and task. The service and the
deadline's activity both close promises here, so the outcome is written one way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain import promises as rules
from domain.enums import CollectionStatus, EventKind, HistoryAction, PromiseState
from domain.invoices import is_closed
from domain.money import format_amount
from models import Customer, Invoice, PromiseInvoice, PromiseToPay, User
from models.base import require_id
from models.history import write_history
from models.repository.automations import write_event
from models.repository.holds import move_collection_status
from models.repository.tasks import create_task_once

_CLOSING_ACTIONS = {
    PromiseState.KEPT: HistoryAction.PROMISE_KEPT,
    PromiseState.BROKEN: HistoryAction.PROMISE_BROKEN,
    PromiseState.CANCELLED: HistoryAction.PROMISE_CANCELLED,
}


async def invoices_by_ids(
    session: AsyncSession, invoice_ids: Sequence[int], *, lock: bool = False
) -> list[Invoice]:
    query = (
        select(Invoice)
        .where(col(Invoice.id).in_(list(invoice_ids)))
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )
    if lock:
        query = query.with_for_update()
    return list((await session.exec(query)).all())


async def numbers_under_open_promise(session: AsyncSession, invoice_ids: Sequence[int]) -> list[str]:
    """The numbers of these invoices that an open promise already covers."""
    query = (
        select(Invoice.number)
        .join(PromiseInvoice, col(PromiseInvoice.invoice_id) == col(Invoice.id))
        .join(PromiseToPay, col(PromiseToPay.id) == col(PromiseInvoice.promise_id))
        .where(col(Invoice.id).in_(list(invoice_ids)), PromiseToPay.state == PromiseState.OPEN)
        .order_by(col(Invoice.number))
    )
    return list((await session.exec(query)).all())


async def load_promise(session: AsyncSession, promise_id: int, *, lock: bool = False) -> PromiseToPay | None:
    return await session.get(PromiseToPay, promise_id, with_for_update=lock)


async def promises_of(
    session: AsyncSession, customer_id: int, *, state: PromiseState | None = None, lock: bool = False
) -> list[PromiseToPay]:
    """A customer's promises, newest first (of one state when given)."""
    query = select(PromiseToPay).where(PromiseToPay.customer_id == customer_id)
    if state is not None:
        query = query.where(PromiseToPay.state == state)
    if lock:
        query = query.with_for_update()
    return list((await session.exec(query.order_by(col(PromiseToPay.id).desc()))).all())


async def open_promises_of_customers(
    session: AsyncSession, customer_ids: Sequence[int]
) -> list[PromiseToPay]:
    query = (
        select(PromiseToPay)
        .where(col(PromiseToPay.customer_id).in_(list(customer_ids)), PromiseToPay.state == PromiseState.OPEN)
        .order_by(col(PromiseToPay.id))
        .with_for_update()
    )
    return list((await session.exec(query)).all())


async def customers_with_open_promises(session: AsyncSession, customer_ids: Sequence[int]) -> set[int]:
    """Which of the customers have an open promise to pay (one query, nothing locked)."""
    if not customer_ids:
        return set()
    query = (
        select(PromiseToPay.customer_id)
        .where(col(PromiseToPay.customer_id).in_(list(customer_ids)), PromiseToPay.state == PromiseState.OPEN)
        .distinct()
    )
    return set((await session.exec(query)).all())


async def covered_invoices(
    session: AsyncSession, promise_ids: Sequence[int]
) -> dict[int, list[tuple[PromiseInvoice, Invoice]]]:
    """The invoices each promise covers, with their balance when promised."""
    query = (
        select(PromiseInvoice, Invoice)
        .join(Invoice, col(Invoice.id) == col(PromiseInvoice.invoice_id))
        .where(col(PromiseInvoice.promise_id).in_(list(promise_ids)))
        .order_by(col(Invoice.due_date), col(Invoice.id))
    )
    found: dict[int, list[tuple[PromiseInvoice, Invoice]]] = {i: [] for i in promise_ids}
    for link, invoice in (await session.exec(query)).all():
        found[link.promise_id].append((link, invoice))
    return found


def covered_view(rows: Sequence[tuple[PromiseInvoice, Invoice]]) -> list[rules.Covered]:
    return [
        rules.Covered(
            number=invoice.number,
            balance_at_promise=link.balance_at_promise,
            status=invoice.status,
            balance_due=invoice.balance_due,
        )
        for link, invoice in rows
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Closed:
    """What closing a promise did."""

    state: PromiseState
    paid: Decimal
    resumed: list[str]
    specialist: str | None


async def close_promise(
    session: AsyncSession,
    promise: PromiseToPay,
    state: PromiseState,
    *,
    actor: str,
    at: datetime,
    today: date,
) -> Closed:
    """Closes an open promise: its still-owed invoices go back in collection (dunning resumes),
    and the history says what was paid of what was promised. A broken one also writes the
    `promise_broken` event and gives the customer's specialist a task."""
    promise_id = require_id(promise)
    rows = (await covered_invoices(session, [promise_id]))[promise_id]
    paid = rules.paid_so_far(covered_view(rows))
    resumed = []
    for _, invoice in rows:
        if invoice.collection_status == CollectionStatus.PROMISED and not is_closed(invoice.status):
            move_collection_status(invoice, CollectionStatus.IN_COLLECTION, at)
            session.add(invoice)
            if invoice.balance_due > 0:
                resumed.append(invoice.number)
    promise.state, promise.closed_at, promise.closed_by, promise.paid_at_close = state.value, at, actor, paid
    session.add(promise)
    customer = await session.get(Customer, promise.customer_id)
    specialist = (
        await session.get(User, customer.specialist_id) if customer and customer.specialist_id else None
    )
    words = rules.payment_words(paid, promise.amount, promise.currency)
    promised = format_amount(promise.amount, promise.currency)
    what = f"Promise to pay {promised} by {promise.promised_date.isoformat()}"
    description = f"{what} {state.value} ({words})"
    if state == PromiseState.CANCELLED:
        description = f"{what} cancelled by {actor} ({words})"
    if resumed:
        description += f"; dunning resumes for {', '.join(resumed)}"
    if state == PromiseState.BROKEN:
        description += f"; task for {specialist.email if specialist else 'nobody (no specialist assigned)'}"
    details = {
        "promise_id": promise_id,
        "amount": str(promise.amount),
        "paid": str(paid),
        "currency": promise.currency,
        "partly_paid": Decimal(0) < paid < promise.amount,
        "invoices": [i.number for _, i in rows],
        "resumed": resumed,
    }
    await write_history(
        session,
        customer_id=promise.customer_id,
        action=_CLOSING_ACTIONS[state],
        description=description,
        actor=actor,
        occurred_at=at,
        details=details,
        key=f"promise-{promise_id}-{state.value}",
    )
    if state == PromiseState.BROKEN:
        await write_event(
            session,
            customer_id=promise.customer_id,
            kind=EventKind.PROMISE_BROKEN,
            occurred_at=at,
            actor=actor,
            payload=details,
            source_key=f"promise-{promise_id}-broken",
        )
        await create_task_once(
            session,
            key=f"promise-{promise_id}-broken",
            customer_id=promise.customer_id,
            invoice_id=require_id(rows[0][1]) if len(rows) == 1 else None,
            assignee_id=specialist.id if specialist else None,
            title=f"Promise to pay broken: {words}",
            description=f"{what} was broken. {', '.join(i.number for _, i in rows)}.",
            due_date=today,
        )
    return Closed(
        state=state, paid=paid, resumed=resumed, specialist=specialist.email if specialist else None
    )
