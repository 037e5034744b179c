"""Writing the events automations react to, from what the API and the sync change: the event
row first (in the request's transaction), then the enrollment hears about it after the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.automations import InvoiceState, invoice_events
from domain.enums import EventKind
from models import Invoice
from models.base import require_id
from models.repository.automations import write_event, write_events_many
from services.common import now
from services.unit_of_work import UnitOfWork


def invoice_state(invoice: Invoice) -> InvoiceState:
    return InvoiceState(balance_due=invoice.balance_due, due_date=invoice.due_date, status=invoice.status)


async def record_invoice_events(uow: UnitOfWork, before: InvoiceState | None, invoice: Invoice) -> int:
    """The invoice's events since `before` (None: it was created); returns how many."""
    events = invoice_events(before, invoice_state(invoice))
    for kind, payload in events:
        await write_event(
            uow.session,
            customer_id=invoice.customer_id,
            kind=kind,
            occurred_at=now(),
            invoice_id=require_id(invoice),
            payload=payload,
            actor="sync",
        )
    return len(events)


async def record_event(
    uow: UnitOfWork,
    customer_id: int,
    kind: EventKind,
    actor: str,
    payload: dict[str, Any] | None = None,
    *,
    invoice_id: int | None = None,
) -> None:
    await write_event(
        uow.session,
        customer_id=customer_id,
        kind=kind,
        occurred_at=now(),
        actor=actor,
        payload=payload,
        invoice_id=invoice_id,
    )


async def record_events_many(
    uow: UnitOfWork,
    customer_ids: list[int],
    kind: EventKind,
    actor: str,
    payload: dict[str, Any] | None = None,
    *,
    occurred_at: datetime | None = None,
) -> None:
    """`record_event` for many customers at once (one statement), at `occurred_at` (now)."""
    await write_events_many(
        uow.session,
        customer_ids=customer_ids,
        kind=kind,
        occurred_at=occurred_at or now(),
        actor=actor,
        payload=payload,
    )
