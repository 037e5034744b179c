"""Invoices: the accounting sync, single creates, corrections and pause.

A change that can move, add or end a reminder (new invoice, paid, balance, due date, status,
pause) asks the customer's running enrollment to plan again, after the commit.
"""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import Any

from domain.automations import InvoiceState
from domain.enums import HistoryAction, InvoiceStatus
from domain.invoices import collection_words
from models import Customer, Invoice, User
from models.base import require_id
from models.history import write_history
from models.repository import customers_by_external_id, invoices_by_external_id, invoices_page
from models.repository.holds import move_collection_status
from services.common import get_or_404, now
from services.customer_sync import refresh_enrollments_of
from services.errors import Conflict, Invalid
from services.events import invoice_state, record_invoice_events
from services.promises import keep_paid_promises
from services.schemas.invoices import (
    CollectionStatusIn,
    InvoiceCreate,
    InvoiceIn,
    InvoiceSyncItem,
    InvoiceSyncResult,
    InvoiceUpdate,
)
from services.unit_of_work import UnitOfWork

# A change to any of these can move, add or end a reminder.
SCHEDULE_FIELDS = frozenset(
    {"balance_due", "due_date", "status", "scheduled_payment_date", "discount_end_date", "paused"}
)
SYNCED_FIELDS = (
    "number",
    "currency",
    "total",
    "balance_due",
    "issue_date",
    "due_date",
    "discount_end_date",
    "scheduled_payment_date",
    "status",
    "pdf_url",
)


def _values(item: InvoiceCreate | InvoiceIn) -> dict[str, Any]:
    return {
        f: (v.value if isinstance(v, Enum) else v)
        for f, v in item.model_dump(include=set(SYNCED_FIELDS)).items()
    }


async def sync_invoices(uow: UnitOfWork, batch: list[InvoiceIn]) -> InvoiceSyncResult:
    """Upsert by external id; the same batch twice changes nothing and nudges nobody."""
    counts = Counter(i.external_id for i in batch)
    duplicates = sorted(x for x, n in counts.items() if n > 1)
    if duplicates:
        raise Conflict(
            "duplicate external ids in the request", code="duplicate_external_id", details=duplicates
        )
    refs = sorted({i.customer_external_id for i in batch})
    customers = await customers_by_external_id(uow.session, refs)
    missing = [ref for ref in refs if ref not in customers]
    if missing:
        raise Invalid("unknown customers", code="unknown_customer", details=missing)
    existing = await invoices_by_external_id(uow.session, list(counts))

    outcomes: list[tuple[str, Invoice, str]] = []
    touched: set[int] = set()
    created: list[Invoice] = []
    changes: list[tuple[InvoiceState, Invoice]] = []
    for item in batch:
        customer_id = require_id(customers[item.customer_external_id])
        values = _values(item)
        invoice = existing.get(item.external_id)
        if invoice is None:
            invoice = Invoice(external_id=item.external_id, customer_id=customer_id, **values)
            uow.session.add(invoice)
            outcomes.append((item.external_id, invoice, "created"))
            touched.add(customer_id)
            created.append(invoice)
            continue
        if invoice.customer_id != customer_id:
            raise Conflict(
                f"invoice {item.external_id} belongs to another customer",
                code="invoice_customer_changed",
                details=[item.external_id],
            )
        changed = [f for f in SYNCED_FIELDS if getattr(invoice, f) != values[f]]
        if not changed:
            outcomes.append((item.external_id, invoice, "unchanged"))
            continue
        before = invoice_state(invoice)
        for field in changed:
            setattr(invoice, field, values[field])
        changes.append((before, invoice))
        invoice.updated_at = now()
        uow.session.add(invoice)
        outcomes.append((item.external_id, invoice, "updated"))
        if SCHEDULE_FIELDS.intersection(changed):
            touched.add(invoice.customer_id)
    await uow.session.flush()
    for invoice in created:
        await record_invoice_events(uow, None, invoice)
    for before, invoice in changes:
        await record_invoice_events(uow, before, invoice)
    await keep_paid_promises(uow, sorted({invoice.customer_id for _, invoice in changes}))
    tally = Counter(outcome for _, _, outcome in outcomes)
    return InvoiceSyncResult(
        created=tally["created"],
        updated=tally["updated"],
        unchanged=tally["unchanged"],
        refreshed_enrollments=await refresh_enrollments_of(uow, sorted(touched), "invoices synced"),
        items=[InvoiceSyncItem(external_id=x, id=require_id(i), outcome=o) for x, i, o in outcomes],
    )


async def create_invoice(uow: UnitOfWork, customer_id: int, request: InvoiceCreate) -> Invoice:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    if await invoices_by_external_id(uow.session, [request.external_id]):
        raise Conflict(
            f"invoice {request.external_id} exists",
            code="duplicate_external_id",
            details=[request.external_id],
        )
    invoice = Invoice(external_id=request.external_id, customer_id=customer_id, **_values(request))
    uow.session.add(invoice)
    await uow.session.flush()
    await record_invoice_events(uow, None, invoice)
    await refresh_enrollments_of(uow, [customer_id], f"invoice {invoice.number} added")
    return invoice


async def update_invoice(uow: UnitOfWork, invoice_id: int, change: InvoiceUpdate) -> Invoice:
    invoice = await get_or_404(uow.session, Invoice, invoice_id, "invoice")
    before = invoice_state(invoice)
    changed = []
    for field, value in change.model_dump(exclude_unset=True).items():
        plain = value.value if isinstance(value, Enum) else value
        if getattr(invoice, field) != plain:
            setattr(invoice, field, plain)
            changed.append(field)
    if invoice.balance_due > invoice.total:
        raise Invalid("balance_due cannot exceed total")
    if invoice.due_date < invoice.issue_date:
        raise Invalid("due_date cannot be before issue_date")
    if changed:
        invoice.updated_at = now()
        uow.session.add(invoice)
        await record_invoice_events(uow, before, invoice)
        await keep_paid_promises(uow, [invoice.customer_id])
    if SCHEDULE_FIELDS.intersection(changed):
        await refresh_enrollments_of(uow, [invoice.customer_id], f"invoice {invoice.number} changed")
    return invoice


async def set_invoice_pause(uow: UnitOfWork, invoice_id: int, paused: bool, actor: User) -> Invoice:
    """A paused invoice is left out of communications but still counts in totals."""
    invoice = await get_or_404(uow.session, Invoice, invoice_id, "invoice")
    if invoice.paused == paused:
        return invoice
    invoice.paused = paused
    invoice.updated_at = now()
    uow.session.add(invoice)
    verb = "paused" if paused else "resumed"
    await write_history(
        uow.session,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        action=HistoryAction.INVOICE_PAUSED if paused else HistoryAction.INVOICE_RESUMED,
        description=f"Invoice {invoice.number} {verb} by {actor.email}",
        actor=actor.email,
        occurred_at=now(),
    )
    await refresh_enrollments_of(uow, [invoice.customer_id], f"invoice {invoice.number} {verb}")
    return invoice


async def set_collection_status(
    uow: UnitOfWork, invoice_id: int, request: CollectionStatusIn, actor: User
) -> Invoice:
    """arcadence's own collection status, set by a person; a sync never writes it back."""
    invoice = await get_or_404(uow.session, Invoice, invoice_id, "invoice")
    if invoice.collection_status == request.status.value:
        return invoice
    before = invoice.collection_status
    move_collection_status(invoice, request.status, now())
    uow.session.add(invoice)
    await write_history(
        uow.session,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        action=HistoryAction.COLLECTION_STATUS_SET,
        description=(
            f"Invoice {invoice.number} set to {collection_words(request.status)} "
            f"(was {collection_words(before)}) by {actor.email}: {request.reason}"
        ),
        actor=actor.email,
        occurred_at=now(),
        details={"from": before, "to": request.status.value, "reason": request.reason},
    )
    await refresh_enrollments_of(
        uow, [invoice.customer_id], f"invoice {invoice.number} {collection_words(request.status)}"
    )
    return invoice


async def list_invoices(
    uow: UnitOfWork, customer_id: int, status: InvoiceStatus | None, limit: int, offset: int
) -> tuple[list[Invoice], int]:
    await get_or_404(uow.session, Customer, customer_id, "customer")
    return await invoices_page(uow.session, customer_id, status, limit, offset)
