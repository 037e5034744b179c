"""The collector's controls: promises to pay and disputes."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Reader, TaskWorker, UnitOfWorkDep
from api.params import Limit, Offset, PathId, QueryId
from domain.enums import DisputeState, PromiseState
from services import disputes as disputes_service
from services import promises as promises_service
from services.schemas.common import Page
from services.schemas.promises import DisputeCreate, DisputeOut, DisputeResolve, PromiseCreate, PromiseOut

router = APIRouter(tags=["controls"])


@router.post(
    "/customers/{customer_id}/promises",
    status_code=status.HTTP_201_CREATED,
    summary="Record a promise to pay (dunning pauses for what it covers)",
    description="Covers the listed invoices, or the whole balance (every open invoice now). Kept once "
    "paid in full by the promised date plus the organization's grace days; broken otherwise, which "
    "resumes dunning, writes the promise_broken event and gives the specialist a task.",
)
async def record_promise(
    customer_id: PathId, request: PromiseCreate, uow: UnitOfWorkDep, user: TaskWorker
) -> PromiseOut:
    return await promises_service.record_promise(uow, customer_id, request, user)


@router.get("/customers/{customer_id}/promises", summary="A customer's promises to pay, newest first")
async def list_promises(
    customer_id: PathId, uow: UnitOfWorkDep, user: Reader, state: PromiseState | None = None
) -> list[PromiseOut]:
    return await promises_service.list_promises(uow, customer_id, state)


@router.post("/promises/{promise_id}/cancel", summary="Cancel an open promise: back in collection")
async def cancel_promise(promise_id: PathId, uow: UnitOfWorkDep, user: TaskWorker) -> PromiseOut:
    return await promises_service.cancel_promise(uow, promise_id, user)


@router.post(
    "/invoices/{invoice_id}/disputes",
    status_code=status.HTTP_201_CREATED,
    summary="Open a dispute on an invoice (it leaves the cadence; a task for the specialist)",
)
async def open_dispute(
    invoice_id: PathId, request: DisputeCreate, uow: UnitOfWorkDep, user: TaskWorker
) -> DisputeOut:
    return DisputeOut.model_validate(await disputes_service.open_dispute(uow, invoice_id, request, user))


@router.get("/disputes", summary="Disputes by state and customer, the longest open first")
async def list_disputes(
    uow: UnitOfWorkDep,
    user: Reader,
    state: DisputeState | None = None,
    customer_id: QueryId | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DisputeOut]:
    rows, total = await disputes_service.list_disputes(uow, state, customer_id, limit, offset)
    return Page[DisputeOut].of(rows, total, limit, offset)


@router.post(
    "/disputes/{dispute_id}/resolve",
    summary="Resolve a dispute: upheld (stays out until the sync credits or voids it) or rejected",
)
async def resolve_dispute(
    dispute_id: PathId, request: DisputeResolve, uow: UnitOfWorkDep, user: TaskWorker
) -> DisputeOut:
    return DisputeOut.model_validate(await disputes_service.resolve_dispute(uow, dispute_id, request, user))
