"""Invoices: the accounting sync, corrections and pause; running enrollments re-plan on change."""

from __future__ import annotations

from sqlmodel import col, select

from api.deps import UnitOfWork
from api.errors import Conflict, Invalid, NotFound
from api.schemas.invoices import InvoiceIn, InvoiceSyncResult, InvoiceUpdate
from api.services.common import get_or_404, live_enrollment, now, refresh_after_commit
from models import Customer, Invoice, User
from models.history import write_history

# A change to any of these can move, add or end a reminder.
SCHEDULE_FIELDS = (
    "balance_due",
    "due_date",
    "status",
    "scheduled_payment_date",
    "discount_end_date",
    "paused",
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


async def _refresh_customers(uow: UnitOfWork, customer_ids: set[int], reason: str) -> int:
    refreshed = 0
    for customer_id in sorted(customer_ids):
        enrollment = await live_enrollment(uow.session, customer_id)
        if enrollment is not None:
            refresh_after_commit(uow, enrollment, reason)
            refreshed += 1
    return refreshed


async def sync_invoices(uow: UnitOfWork, batch: list[InvoiceIn]) -> InvoiceSyncResult:
    ids = [i.external_id for i in batch]
    duplicates = sorted({x for x in ids if ids.count(x) > 1})
    if duplicates:
        raise Conflict(
            "duplicate external ids in the request", code="duplicate_external_id", details=duplicates
        )
    customer_refs = sorted({i.customer_external_id for i in batch})
    customers = {
        c.external_id: c
        for c in (
            await uow.session.exec(select(Customer).where(col(Customer.external_id).in_(customer_refs)))
        ).all()
    }
    missing = [ref for ref in customer_refs if ref not in customers]
    if missing:
        raise Invalid("unknown customers", code="unknown_customer", details=missing)
    existing = {
        i.external_id: i
        for i in (await uow.session.exec(select(Invoice).where(col(Invoice.external_id).in_(ids)))).all()
    }
    result = InvoiceSyncResult(created=0, updated=0, unchanged=0, refreshed_enrollments=0)
    touched: set[int] = set()
    for item in batch:
        customer = customers[item.customer_external_id]
        values = item.model_dump(exclude={"external_id", "customer_external_id"})
        values["status"] = item.status.value
        invoice = existing.get(item.external_id)
        if invoice is None:
            uow.session.add(Invoice(external_id=item.external_id, customer_id=customer.id or 0, **values))
            result.created += 1
            touched.add(customer.id or 0)
            continue
        if invoice.customer_id != customer.id:
            raise Conflict(
                f"invoice {item.external_id} belongs to another customer", code="invoice_customer_changed"
            )
        changed = [f for f in SYNCED_FIELDS if getattr(invoice, f) != values[f]]
        if not changed:
            result.unchanged += 1
            continue
        for field in changed:
            setattr(invoice, field, values[field])
        invoice.updated_at = now()
        uow.session.add(invoice)
        result.updated += 1
        if any(f in SCHEDULE_FIELDS for f in changed):
            touched.add(invoice.customer_id)
    await uow.session.flush()
    result.refreshed_enrollments = await _refresh_customers(uow, touched, "invoices synced")
    return result


async def update_invoice(uow: UnitOfWork, invoice_id: int, change: InvoiceUpdate) -> Invoice:
    invoice = await get_or_404(uow.session, Invoice, invoice_id, "invoice")
    values = change.model_dump(exclude_unset=True)
    for field, value in values.items():
        setattr(invoice, field, value.value if hasattr(value, "value") else value)
    if invoice.balance_due > invoice.total:
        raise Invalid("balance_due cannot exceed total")
    invoice.updated_at = now()
    uow.session.add(invoice)
    await _refresh_customers(uow, {invoice.customer_id}, f"invoice {invoice.number} changed")
    return invoice


async def set_invoice_pause(uow: UnitOfWork, invoice_id: int, paused: bool, actor: User) -> Invoice:
    invoice = await get_or_404(uow.session, Invoice, invoice_id, "invoice")
    if invoice.paused != paused:
        invoice.paused = paused
        invoice.updated_at = now()
        uow.session.add(invoice)
        verb = "paused" if paused else "resumed"
        await write_history(
            uow.session,
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            action=f"invoice_{verb}",
            description=f"Invoice {invoice.number} {verb}",
            actor=actor.email,
            occurred_at=now(),
        )
        await _refresh_customers(uow, {invoice.customer_id}, f"invoice {invoice.number} {verb}")
    return invoice


async def list_invoices(uow: UnitOfWork, customer_id: int) -> list[Invoice]:
    if await uow.session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist")
    query = select(Invoice).where(Invoice.customer_id == customer_id).order_by(col(Invoice.due_date))
    return list((await uow.session.exec(query)).all())
