"""The customer page's promises to pay and disputes: record, cancel, open, resolve. The same
services and roles (ar_specialist and above) as the API's `api/routers/controls.py`; a refusal
is shown next to the forms, on the customer page re-read after the rollback."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, require
from api.console.common import row_or_page
from api.console.customer_changes import _apply, _invalid
from api.deps import TASK_WORKERS, UnitOfWorkDep
from api.params import PathId
from models import Dispute, Invoice, PromiseToPay
from models.base import require_id
from services import disputes as dispute_service
from services import promises as promise_service
from services.errors import Invalid
from services.schemas.promises import DisputeCreate, DisputeResolve, PromiseCreate
from services.unit_of_work import UnitOfWork

router = APIRouter()

PROMISE_FIELDS = {
    "invoice_ids": "Invoices",
    "amount": "Amount",
    "promised_date": "Promised date",
    "note": "Note",
}
DISPUTE_FIELDS = {"reason": "Reason", "note": "Note", "resolution": "Resolution"}
SECTION = "controls"


@router.post("/customers/{customer_id}/promises")
async def record_promise(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, TASK_WORKERS)

    async def change(form: dict[str, str]) -> object:
        chosen = [
            int(k.removeprefix("invoice_")) for k in form if k.startswith("invoice_") and k[8:].isdigit()
        ]
        amount = form.get("amount", "").strip()
        try:
            body = PromiseCreate.model_validate(
                {
                    "invoice_ids": chosen,
                    "whole_balance": not chosen,
                    "amount": amount or None,
                    "promised_date": form.get("promised_date", ""),
                    "note": form.get("note", "").strip(),
                }
            )
        except ValidationError as err:
            raise _invalid(err, PROMISE_FIELDS) from err
        return await promise_service.record_promise(uow, customer_id, body, visitor.user)

    return await _apply(request, uow, visitor, customer_id, SECTION, change)


async def _customer_of(
    request: Request, visitor: Visitor, uow: UnitOfWork, row: type[PromiseToPay] | type[Dispute], row_id: int
) -> int | Response:
    """The customer the promise or dispute belongs to, or the page saying it does not exist."""
    what = "promise" if row is PromiseToPay else "dispute"
    found = await row_or_page(request, uow, visitor, row, row_id, what)
    return found if isinstance(found, Response) else found.customer_id


@router.post("/promises/{promise_id}/cancel")
async def cancel_promise(
    request: Request, promise_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, TASK_WORKERS)
    customer_id = await _customer_of(request, visitor, uow, PromiseToPay, promise_id)
    if isinstance(customer_id, Response):
        return customer_id

    async def change(form: dict[str, str]) -> object:
        return await promise_service.cancel_promise(uow, promise_id, visitor.user)

    return await _apply(request, uow, visitor, customer_id, SECTION, change)


@router.post("/customers/{customer_id}/disputes")
async def open_dispute(
    request: Request, customer_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    """The invoice is chosen in the form (a select), so the form needs no script."""
    require(visitor, TASK_WORKERS)

    async def change(form: dict[str, str]) -> object:
        chosen = form.get("invoice", "")
        invoice = await uow.session.get(Invoice, int(chosen)) if chosen.isdigit() else None
        if invoice is None or invoice.customer_id != customer_id:
            raise Invalid("Choose one of the customer's invoices.")
        try:
            body = DisputeCreate.model_validate(
                {"reason": form.get("reason", ""), "note": form.get("note", "").strip()}
            )
        except ValidationError as err:
            raise _invalid(err, DISPUTE_FIELDS) from err
        return await dispute_service.open_dispute(uow, require_id(invoice), body, visitor.user)

    return await _apply(request, uow, visitor, customer_id, SECTION, change)


@router.post("/disputes/{dispute_id}/resolve")
async def resolve_dispute(
    request: Request, dispute_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    require(visitor, TASK_WORKERS)
    customer_id = await _customer_of(request, visitor, uow, Dispute, dispute_id)
    if isinstance(customer_id, Response):
        return customer_id

    async def change(form: dict[str, str]) -> object:
        try:
            body = DisputeResolve.model_validate(
                {"resolution": form.get("resolution", ""), "note": form.get("note", "").strip()}
            )
        except ValidationError as err:
            raise _invalid(err, DISPUTE_FIELDS) from err
        return await dispute_service.resolve_dispute(uow, dispute_id, body, visitor.user)

    return await _apply(request, uow, visitor, customer_id, SECTION, change)
