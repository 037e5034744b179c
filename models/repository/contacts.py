"""A customer's contacts: as rows, and as the recipient rules see them."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import ContactRole
from domain.recipients import ContactInfo
from models import Contact
from models.base import require_id


async def contacts_of(session: AsyncSession, customer_id: int) -> list[Contact]:
    query = select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
    return list((await session.exec(query)).all())


async def primary_contact_zones(session: AsyncSession, customer_ids: list[int]) -> dict[int, list[str]]:
    """Per customer, the zones of its primary contacts that have one, oldest contact first."""
    if not customer_ids:
        return {}
    query = (
        select(Contact.customer_id, Contact.time_zone)
        .where(col(Contact.customer_id).in_(customer_ids))
        .where(col(Contact.roles).contains([ContactRole.PRIMARY.value]))
        .where(col(Contact.time_zone).is_not(None))
        .order_by(col(Contact.id))
    )
    zones: dict[int, list[str]] = {}
    for customer_id, zone in (await session.exec(query)).all():
        if zone:
            zones.setdefault(customer_id, []).append(zone)
    return zones


async def with_an_email(session: AsyncSession, customer_ids: list[int]) -> set[int]:
    """Those of `customer_ids` with at least one contact that has an email address."""
    if not customer_ids:
        return set()
    query = (
        select(Contact.customer_id)
        .where(col(Contact.customer_id).in_(customer_ids))
        .where(col(Contact.email).is_not(None))
        .distinct()
    )
    return set((await session.exec(query)).all())


async def contact_infos(session: AsyncSession, customer_id: int) -> list[ContactInfo]:
    """A customer's contacts as the recipient rules see them (whether an address is suppressed
    is the suppression list's: `suppressed_among`)."""
    return [
        ContactInfo(
            id=require_id(c),
            name=c.name,
            email=c.email,
            phone=c.phone,
            roles=tuple(c.roles),
        )
        for c in await contacts_of(session, customer_id)
    ]
