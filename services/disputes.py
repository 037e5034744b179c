"""Disputes on invoices: open one (the invoice leaves the cadence, the specialist gets a task,
automations see `dispute_opened`), resolve it (upheld or rejected), list them."""

from __future__ import annotations

from domain.disputes import reason_words, resolution_words, status_after_resolution
from domain.enums import CollectionStatus, DisputeState, EventKind, HistoryAction
from domain.invoices import collection_words, is_closed
from models import Customer, Dispute, Invoice, User
from models.base import require_id
from models.history import write_history
from models.repository import calendar_of, load_organization
from models.repository.disputes import disputes_page, load_dispute, open_dispute_of
from models.repository.holds import move_collection_status
from models.repository.promises import numbers_under_open_promise
from models.repository.tasks import create_task_once
from services.common import now
from services.customer_sync import refresh_enrollments_of
from services.errors import Conflict, Invalid, NotFound
from services.events import record_event
from services.schemas.promises import DisputeCreate, DisputeResolve
from services.unit_of_work import UnitOfWork


async def _invoice_for_update(uow: UnitOfWork, invoice_id: int) -> Invoice:
    invoice = await uow.session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist", details={"id": invoice_id})
    return invoice


async def open_dispute(uow: UnitOfWork, invoice_id: int, request: DisputeCreate, actor: User) -> Dispute:
    # The invoice row is locked: two disputes opened at once cannot both pass the check below.
    invoice = await _invoice_for_update(uow, invoice_id)
    if is_closed(invoice.status):
        raise Invalid(f"invoice {invoice.number} is {invoice.status}", code="invoice_closed")
    if await open_dispute_of(uow.session, invoice_id) is not None:
        raise Conflict(f"invoice {invoice.number} has an open dispute", code="dispute_already_open")
    at = now()
    before = invoice.collection_status
    dispute = Dispute(
        invoice_id=invoice_id,
        customer_id=invoice.customer_id,
        reason=request.reason.value,
        note=request.note,
        opened_by=actor.email,
        opened_at=at,
    )
    uow.session.add(dispute)
    move_collection_status(invoice, CollectionStatus.DISPUTED, at)
    uow.session.add(invoice)
    await uow.session.flush()
    dispute_id = require_id(dispute)
    customer = await uow.session.get(Customer, invoice.customer_id)
    specialist = (
        await uow.session.get(User, customer.specialist_id) if customer and customer.specialist_id else None
    )
    task_for = specialist.email if specialist is not None else "nobody (no specialist is assigned)"
    reason = reason_words(request.reason)
    note = f" ({request.note})" if request.note else ""
    await write_history(
        uow.session,
        customer_id=invoice.customer_id,
        invoice_id=invoice_id,
        action=HistoryAction.DISPUTE_OPENED,
        description=(
            f"Invoice {invoice.number} disputed by {actor.email}: {reason}{note}; left out of the cadence "
            f"(was {collection_words(before)}), task for {task_for}"
        ),
        actor=actor.email,
        occurred_at=at,
        details={
            "dispute_id": dispute_id,
            "reason": request.reason.value,
            "from": before,
            "assignee": task_for,
        },
    )
    await record_event(
        uow,
        invoice.customer_id,
        EventKind.DISPUTE_OPENED,
        actor.email,
        {"dispute_id": dispute_id, "reason": request.reason.value, "number": invoice.number},
        invoice_id=invoice_id,
    )
    today = calendar_of(await load_organization(uow.session)).local_date_of(at)
    await create_task_once(
        uow.session,
        key=f"dispute-{dispute_id}-opened",
        customer_id=invoice.customer_id,
        invoice_id=invoice_id,
        assignee_id=specialist.id if specialist is not None else None,
        title=f"Dispute on {invoice.number}: {reason}",
        description=f"Opened by {actor.email}{note}. Resolve it as upheld or rejected.",
        due_date=today,
    )
    await refresh_enrollments_of(uow, [invoice.customer_id], f"invoice {invoice.number} disputed")
    return dispute


async def resolve_dispute(uow: UnitOfWork, dispute_id: int, request: DisputeResolve, actor: User) -> Dispute:
    dispute = await load_dispute(uow.session, dispute_id, lock=True)
    if dispute is None:
        raise NotFound(f"dispute {dispute_id} does not exist", details={"id": dispute_id})
    if dispute.state != DisputeState.OPEN:
        raise Conflict(f"dispute {dispute_id} is already {dispute.state}", code="dispute_resolved")
    resolution = DisputeState(request.resolution)
    invoice = await _invoice_for_update(uow, dispute.invoice_id)
    at = now()
    dispute.state, dispute.resolved_by, dispute.resolved_at = resolution.value, actor.email, at
    dispute.resolution_note = request.note or None
    uow.session.add(dispute)
    promised = bool(await numbers_under_open_promise(uow.session, [dispute.invoice_id]))
    after = status_after_resolution(resolution, promised=promised)
    # A person may have set another status meanwhile (on hold): only the dispute's own is undone.
    if invoice.collection_status == CollectionStatus.DISPUTED and not is_closed(invoice.status):
        move_collection_status(invoice, after, at)
        uow.session.add(invoice)
    note = f" ({request.note})" if request.note else ""
    await write_history(
        uow.session,
        customer_id=dispute.customer_id,
        invoice_id=dispute.invoice_id,
        action=HistoryAction.DISPUTE_RESOLVED,
        description=(
            f"Dispute on {invoice.number} ({reason_words(dispute.reason)}) "
            f"{resolution_words(resolution, promised=promised)}; "
            f"resolved by {actor.email}{note}"
        ),
        actor=actor.email,
        occurred_at=at,
        details={"dispute_id": dispute_id, "resolution": resolution.value, "to": invoice.collection_status},
    )
    await record_event(
        uow,
        dispute.customer_id,
        EventKind.DISPUTE_RESOLVED,
        actor.email,
        {"dispute_id": dispute_id, "resolution": resolution.value, "number": invoice.number},
        invoice_id=dispute.invoice_id,
    )
    await refresh_enrollments_of(
        uow, [dispute.customer_id], f"dispute on {invoice.number} {resolution.value}"
    )
    return dispute


async def list_disputes(
    uow: UnitOfWork, state: DisputeState | None, customer_id: int | None, limit: int, offset: int
) -> tuple[list[Dispute], int]:
    return await disputes_page(uow.session, state, customer_id, limit, offset)
