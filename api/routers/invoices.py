"""Invoices: sync, single creates, corrections, pause and resume."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Manager, Reader, Supporter, UnitOfWorkDep
from api.params import Limit, Offset, PathId
from domain.enums import InvoiceStatus
from models import Invoice
from services import invoices as service
from services.common import get_or_404
from services.schemas.common import Page
from services.schemas.invoices import (
    CollectionStatusIn,
    InvoiceBatch,
    InvoiceCreate,
    InvoiceOut,
    InvoiceSyncResult,
    InvoiceUpdate,
)

router = APIRouter(tags=["invoices"])


@router.post(
    "/invoices/batch",
    summary="Sync invoices by external id (up to 1,000; idempotent)",
    description="A change that can move a reminder (new, paid, balance, due date, status) makes the "
    "customer's running enrollment plan again.",
)
async def sync_invoices(request: InvoiceBatch, uow: UnitOfWorkDep, user: Manager) -> InvoiceSyncResult:
    return await service.sync_invoices(uow, request.invoices)


@router.post(
    "/customers/{customer_id}/invoices",
    status_code=status.HTTP_201_CREATED,
    summary="Add one invoice to a customer",
)
async def create_invoice(
    customer_id: PathId, request: InvoiceCreate, uow: UnitOfWorkDep, user: Manager
) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.create_invoice(uow, customer_id, request))


@router.get("/customers/{customer_id}/invoices", summary="A customer's invoices, by due date")
async def list_invoices(
    customer_id: PathId,
    uow: UnitOfWorkDep,
    user: Reader,
    status: InvoiceStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[InvoiceOut]:
    rows, total = await service.list_invoices(uow, customer_id, status, limit, offset)
    return Page[InvoiceOut].of(rows, total, limit, offset)


@router.get("/invoices/{invoice_id}", summary="Read an invoice")
async def read_invoice(invoice_id: PathId, uow: UnitOfWorkDep, user: Reader) -> InvoiceOut:
    return InvoiceOut.model_validate(await get_or_404(uow.session, Invoice, invoice_id, "invoice"))


@router.patch("/invoices/{invoice_id}", summary="Correct an invoice (paid, balance, due date)")
async def update_invoice(
    invoice_id: PathId, change: InvoiceUpdate, uow: UnitOfWorkDep, user: Manager
) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.update_invoice(uow, invoice_id, change))


@router.post("/invoices/{invoice_id}/pause", summary="Leave an invoice out of communications")
async def pause_invoice(invoice_id: PathId, uow: UnitOfWorkDep, user: Supporter) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.set_invoice_pause(uow, invoice_id, True, user))


@router.post("/invoices/{invoice_id}/resume", summary="Bring a paused invoice back into communications")
async def resume_invoice(invoice_id: PathId, uow: UnitOfWorkDep, user: Supporter) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.set_invoice_pause(uow, invoice_id, False, user))


@router.put(
    "/invoices/{invoice_id}/collection-status",
    summary="Set an invoice's collection status (on hold, disputed and promised leave the cadence)",
    description="arcadence's own status, kept apart from the accounting status: the next sync does "
    "not undo it. Recorded in the customer history with who set it and why.",
)
async def set_collection_status(
    invoice_id: PathId, request: CollectionStatusIn, uow: UnitOfWorkDep, user: Supporter
) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.set_collection_status(uow, invoice_id, request, user))
