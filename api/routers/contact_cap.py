"""A customer's own contact-frequency cap."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Manager, Reader, UnitOfWorkDep
from api.params import PathId
from services import contact_cap as service
from services.schemas.contact_cap import CustomerCapOut, CustomerCapUpdate

router = APIRouter(tags=["customers"])


@router.get(
    "/customers/{customer_id}/contact-cap", summary="The customer's contact cap, and the one in force"
)
async def customer_cap(customer_id: PathId, uow: UnitOfWorkDep, user: Reader) -> CustomerCapOut:
    return await service.customer_cap(uow, customer_id)


@router.put(
    "/customers/{customer_id}/contact-cap",
    summary="Set the customer's own contact cap (both null: the organization's again)",
)
async def set_customer_cap(
    customer_id: PathId, change: CustomerCapUpdate, uow: UnitOfWorkDep, user: Manager
) -> CustomerCapOut:
    return await service.set_customer_cap(uow, customer_id, change, user)
