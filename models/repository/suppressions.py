"""Suppressed addresses: in force for a set of addresses, pages of them, suppressing one once,
and the contacts (of any customer) at an address, whose `suppressed_at` mirrors the list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.recipients import Suppressed, normalize_address
from models import Contact, Suppression
from models.repository.paging import paged


async def suppressed_among(session: AsyncSession, addresses: Iterable[str | None]) -> dict[str, Suppressed]:
    """The suppressions in force for any of `addresses`, by normalised address."""
    wanted = {normalize_address(a) for a in addresses if a and a.strip()}
    if not wanted:
        return {}
    query = select(Suppression).where(
        col(Suppression.address).in_(wanted), col(Suppression.lifted_at).is_(None)
    )
    return {
        s.address: Suppressed(reason=s.reason, since=s.since.date())
        for s in (await session.exec(query)).all()
    }


async def suppress_once(
    session: AsyncSession,
    *,
    address: str,
    source: str,
    reason: str,
    since: datetime,
    delivery_id: int | None,
) -> list[Contact]:
    """Suppress the address unless a suppression is already in force. Every contact at the
    address, of any customer, is marked too; returns them."""
    normalised = normalize_address(address)
    statement = (
        insert(Suppression)
        .values(
            address=normalised,
            source=source,
            reason=reason,
            since=since,
            delivery_id=delivery_id,
        )
        .on_conflict_do_nothing(index_elements=["address"], index_where=text("lifted_at IS NULL"))
    )
    await (await session.connection()).execute(statement)
    contacts = await contacts_with_address(session, normalised)
    for contact in contacts:
        if contact.suppressed_at is None:
            contact.suppressed_at, contact.suppression_reason = since, reason
            session.add(contact)
    return contacts


async def contacts_with_address(session: AsyncSession, address: str) -> list[Contact]:
    """Every customer's contacts at this email address, compared without case."""
    query = (
        select(Contact)
        .where(func.lower(col(Contact.email)) == normalize_address(address))
        .order_by(col(Contact.customer_id), col(Contact.id))
    )
    return list((await session.exec(query)).all())


async def suppression_for_update(session: AsyncSession, suppression_id: int) -> Suppression | None:
    query = select(Suppression).where(Suppression.id == suppression_id).with_for_update()
    return (await session.exec(query)).first()


async def suppressions_page(
    session: AsyncSession, address: str | None, active: bool | None, limit: int, offset: int
) -> tuple[list[Suppression], int]:
    """Newest first; optionally one address, only those in force (or only lifted ones)."""
    query = select(Suppression)
    if address is not None:
        query = query.where(Suppression.address == normalize_address(address))
    if active is True:
        query = query.where(col(Suppression.lifted_at).is_(None))
    elif active is False:
        query = query.where(col(Suppression.lifted_at).is_not(None))
    query = query.order_by(col(Suppression.since).desc(), col(Suppression.id).desc())
    return await paged(session, query, limit, offset)
