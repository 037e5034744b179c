"""Invoices: sync, corrections, pause and resume."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Manager, Reader, Supporter, UnitOfWorkDep
from api.schemas.invoices import InvoiceBatch, InvoiceOut, InvoiceSyncResult, InvoiceUpdate
from api.services import invoices as service
from api.services.common import get_or_404
from models import Invoice

router = APIRouter(tags=["invoices"])


@router.post("/invoices/batch", summary="Sync invoices by external id (up to 1,000; idempotent)")
async def sync_invoices(request: InvoiceBatch, uow: UnitOfWorkDep, user: Manager) -> InvoiceSyncResult:
    return await service.sync_invoices(uow, request.invoices)


@router.get("/customers/{customer_id}/invoices", summary="A customer's invoices")
async def list_invoices(customer_id: int, uow: UnitOfWorkDep, user: Reader) -> list[InvoiceOut]:
    return [InvoiceOut.model_validate(i) for i in await service.list_invoices(uow, customer_id)]


@router.get("/invoices/{invoice_id}", summary="Read an invoice")
async def read_invoice(invoice_id: int, uow: UnitOfWorkDep, user: Reader) -> InvoiceOut:
    return InvoiceOut.model_validate(await get_or_404(uow.session, Invoice, invoice_id, "invoice"))


@router.patch("/invoices/{invoice_id}", summary="Correct an invoice (paid, balance, due date)")
async def update_invoice(
    invoice_id: int, change: InvoiceUpdate, uow: UnitOfWorkDep, user: Manager
) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.update_invoice(uow, invoice_id, change))


@router.post("/invoices/{invoice_id}/pause", summary="Leave an invoice out of communications")
async def pause_invoice(invoice_id: int, uow: UnitOfWorkDep, user: Supporter) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.set_invoice_pause(uow, invoice_id, True, user))


@router.post("/invoices/{invoice_id}/resume", summary="Bring a paused invoice back")
async def resume_invoice(invoice_id: int, uow: UnitOfWorkDep, user: Supporter) -> InvoiceOut:
    return InvoiceOut.model_validate(await service.set_invoice_pause(uow, invoice_id, False, user))
