"""Customers: create, sync, read, change, contacts, pause/resume, history, enrolling."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Manager, Reader, Supporter, UnitOfWorkDep
from api.params import NO_NUL, Limit, Offset, PathId
from domain.history import HistoryKind
from models import Customer
from services import automations as automation_service
from services import customer_sync
from services import customers as service
from services import enrollments as enrollment_service
from services.common import get_or_404
from services.schemas.automations import AttachedOut
from services.schemas.common import Page
from services.schemas.customers import (
    ContactIn,
    ContactOut,
    CustomerBatch,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    HistoryOut,
    PauseRequest,
    SyncResult,
)
from services.schemas.enrollments import EnrollIn, EnrollmentOut

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer (enrolled in the default workflow)",
)
async def create_customer(request: CustomerCreate, uow: UnitOfWorkDep, user: Manager) -> CustomerOut:
    return CustomerOut.model_validate(await service.create_customer(uow, request, user))


@router.post(
    "/batch",
    summary="Sync customers by external id (up to 1,000; idempotent)",
    description="Creates or updates each customer. A newly created one is enrolled in the default "
    "workflow (auto-pay customers in the auto-pay workflow; a bill-to-parent child in its parent's); "
    "existing customers keep their enrollment.",
)
async def sync_customers(request: CustomerBatch, uow: UnitOfWorkDep, user: Manager) -> SyncResult:
    return await customer_sync.sync_customers(uow, request.customers, user)


@router.get("", summary="List customers with their last action")
async def list_customers(
    uow: UnitOfWorkDep,
    user: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
    search: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="In name or external id")
    ] = None,
    paused: bool | None = None,
) -> Page[CustomerOut]:
    rows, total = await service.list_customers(uow, limit, offset, search, paused)
    return Page[CustomerOut].of(rows, total, limit, offset)


@router.get("/{customer_id}", summary="Read a customer")
async def read_customer(customer_id: PathId, uow: UnitOfWorkDep, user: Reader) -> CustomerOut:
    return CustomerOut.model_validate(await get_or_404(uow.session, Customer, customer_id, "customer"))


@router.patch("/{customer_id}", summary="Change a customer (parent, specialist, auto-pay, …)")
async def update_customer(
    customer_id: PathId, change: CustomerUpdate, uow: UnitOfWorkDep, user: Manager
) -> CustomerOut:
    return CustomerOut.model_validate(await service.update_customer(uow, customer_id, change, user))


@router.get("/{customer_id}/contacts", summary="List a customer's contacts")
async def list_contacts(customer_id: PathId, uow: UnitOfWorkDep, user: Reader) -> list[ContactOut]:
    return [ContactOut.model_validate(c) for c in await service.list_contacts(uow, customer_id)]


@router.post("/{customer_id}/contacts", status_code=status.HTTP_201_CREATED, summary="Add a contact")
async def add_contact(
    customer_id: PathId, request: ContactIn, uow: UnitOfWorkDep, user: Manager
) -> ContactOut:
    return ContactOut.model_validate(await service.add_contact(uow, customer_id, request))


@router.delete(
    "/{customer_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a contact"
)
async def delete_contact(customer_id: PathId, contact_id: PathId, uow: UnitOfWorkDep, user: Manager) -> None:
    await service.delete_contact(uow, customer_id, contact_id)


@router.post("/{customer_id}/pause", summary="Pause a customer (optionally until a date)")
async def pause_customer(
    customer_id: PathId, request: PauseRequest, uow: UnitOfWorkDep, user: Supporter
) -> CustomerOut:
    return CustomerOut.model_validate(await service.pause_customer(uow, customer_id, request, user))


@router.post("/{customer_id}/resume", summary="Resume a paused customer")
async def resume_customer(customer_id: PathId, uow: UnitOfWorkDep, user: Supporter) -> CustomerOut:
    return CustomerOut.model_validate(await service.resume_customer(uow, customer_id, user))


@router.get(
    "/{customer_id}/history", summary="The customer history: date, action, description, actor (newest first)"
)
async def customer_history(
    customer_id: PathId,
    uow: UnitOfWorkDep,
    user: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
    kind: Annotated[
        HistoryKind | None,
        Query(
            description="Only one kind of action: sent, not_sent (skipped, failed, bounced), pauses, "
            "workflow (steps and enrollment changes), people (status, tasks, suppressions)"
        ),
    ] = None,
    since: Annotated[
        date | None, Query(description="From this day (included), in the organization's time zone")
    ] = None,
    until: Annotated[
        date | None,
        Query(description="To this day (included), in the organization's time zone; not before `since`"),
    ] = None,
) -> Page[HistoryOut]:
    filters = service.HistoryFilter(kind, since, until)
    rows, total = await service.history(uow, customer_id, limit, offset, filters)
    return Page[HistoryOut].of(rows, total, limit, offset)


@router.get(
    "/{customer_id}/automations",
    summary="The automations attached to the customer's workflow, and when each last fired for it",
)
async def customer_automations(customer_id: PathId, uow: UnitOfWorkDep, user: Reader) -> list[AttachedOut]:
    return await automation_service.customer_automations(uow, customer_id)


@router.post(
    "/{customer_id}/enrollment",
    status_code=status.HTTP_201_CREATED,
    summary="Enroll a customer (an enrolled one is reassigned)",
)
async def enroll(customer_id: PathId, request: EnrollIn, uow: UnitOfWorkDep, user: Manager) -> EnrollmentOut:
    enrollment = await enrollment_service.enroll_by_id(uow, customer_id, request.definition_id, user)
    return EnrollmentOut.model_validate(enrollment)


@router.get("/{customer_id}/enrollments", summary="A customer's enrollments, newest first")
async def list_enrollments(customer_id: PathId, uow: UnitOfWorkDep, user: Reader) -> list[EnrollmentOut]:
    return [
        EnrollmentOut.model_validate(e) for e in await enrollment_service.list_enrollments(uow, customer_id)
    ]
