"""Queries of customers' replies: storing one, the page of them, the one to handle, who wrote it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.deliveries import REACHED
from models import Contact, Delivery, InboundReply, OrganizationSettings
from models.repository.paging import paged


async def replies_page(
    session: AsyncSession, handled: bool | None, matched: bool | None, limit: int, offset: int
) -> tuple[list[InboundReply], int]:
    """Newest first; optionally only handled (or unhandled), matched (or unmatched) ones."""
    query = select(InboundReply)
    if handled is True:
        query = query.where(col(InboundReply.handled_at).is_not(None))
    elif handled is False:
        query = query.where(col(InboundReply.handled_at).is_(None))
    if matched is True:
        query = query.where(col(InboundReply.customer_id).is_not(None))
    elif matched is False:
        query = query.where(col(InboundReply.customer_id).is_(None))
    query = query.order_by(col(InboundReply.received_at).desc(), col(InboundReply.id).desc())
    return await paged(session, query, limit, offset)


async def reply_for_update(session: AsyncSession, reply_id: int) -> InboundReply | None:
    query = select(InboundReply).where(InboundReply.id == reply_id).with_for_update()
    return (await session.exec(query)).first()


async def other_replies_holding_pause(session: AsyncSession, customer_id: int, reply_id: int) -> int:
    """How many of the customer's unhandled replies, besides this one, hold its pause."""
    query = select(func.count()).where(
        InboundReply.customer_id == customer_id,
        InboundReply.id != reply_id,
        col(InboundReply.holds_pause).is_(True),
        col(InboundReply.handled_at).is_(None),
    )
    return int((await session.exec(query)).one())


async def customers_with_contact_email(session: AsyncSession, address: str) -> list[int]:
    """The customers one of whose contacts has this email address (any case)."""
    query = (
        select(Contact.customer_id)
        .where(func.lower(col(Contact.email)) == address.lower())
        .distinct()
        .order_by(col(Contact.customer_id))
    )
    return [int(c) for c in (await session.exec(query)).all()]


async def last_deliveries_of(session: AsyncSession, customer_id: int, limit: int = 50) -> list[Delivery]:
    """The customer's latest deliveries that reached the provider, newest first."""
    query = (
        select(Delivery)
        .where(Delivery.customer_id == customer_id, col(Delivery.status).in_([s.value for s in REACHED]))
        .order_by(col(Delivery.sent_at).desc().nulls_last(), col(Delivery.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def organization_row(session: AsyncSession) -> OrganizationSettings:
    """The organization's row, saved with its defaults (and a fresh inbound secret) if it never
    was: the inbound secret must stay the same from one request to the next."""
    org = (await session.exec(select(OrganizationSettings))).first()
    if org is None:
        org = OrganizationSettings(id=1, name="arcadence")
        session.add(org)
        await session.flush()
    return org
