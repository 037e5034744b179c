"""A customer's own contact-frequency cap, read and set (the organization's is in its settings)."""

from __future__ import annotations

from domain.contact_cap import cap_in_force
from models import Customer, User
from models.base import require_id
from models.repository import load_organization
from services.common import get_or_404, now
from services.schemas.contact_cap import CustomerCapOut, CustomerCapUpdate
from services.unit_of_work import UnitOfWork


async def customer_cap(uow: UnitOfWork, customer_id: int) -> CustomerCapOut:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    return await _out(uow, customer)


async def set_customer_cap(
    uow: UnitOfWork, customer_id: int, change: CustomerCapUpdate, actor: User
) -> CustomerCapOut:
    customer = await get_or_404(uow.session, Customer, customer_id, "customer")
    customer.contact_cap_count, customer.contact_cap_days = change.count, change.days
    customer.updated_at = now()
    uow.session.add(customer)
    return await _out(uow, customer)


async def _out(uow: UnitOfWork, customer: Customer) -> CustomerCapOut:
    org = await load_organization(uow.session)
    cap = cap_in_force(
        org.contact_cap_count, org.contact_cap_days, customer.contact_cap_count, customer.contact_cap_days
    )
    return CustomerCapOut(
        customer_id=require_id(customer),
        count=customer.contact_cap_count,
        days=customer.contact_cap_days,
        in_force=cap.words() if cap else None,
    )
