"""Customers: loaded by id or external id, listed, the bill-to-parent children of a parent."""

from __future__ import annotations

from sqlalchemy import false
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models import Customer, Enrollment
from models.base import require_id
from models.repository.enrollments import LIVE
from models.repository.errors import NotFound
from models.repository.paging import paged


async def load_customer(session: AsyncSession, customer_id: int, *, lock: bool = False) -> Customer:
    # Unlocked, from the session when this unit of work has read it already.
    customer = await session.get(Customer, customer_id, with_for_update=lock or None)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return customer


async def customers_by_id(session: AsyncSession, customer_ids: list[int]) -> dict[int, Customer]:
    """The customers among `customer_ids` that exist (one query, whatever the count)."""
    if not customer_ids:
        return {}
    query = select(Customer).where(col(Customer.id).in_(customer_ids))
    return {c.id: c for c in (await session.exec(query)).all() if c.id is not None}


async def with_bill_to_parent_children(session: AsyncSession, customer_ids: list[int]) -> set[int]:
    """Those of `customer_ids` that have at least one bill-to-parent child."""
    if not customer_ids:
        return set()
    query = (
        select(Customer.parent_id)
        .where(col(Customer.parent_id).in_(customer_ids))
        .where(col(Customer.bill_to_parent))
        .distinct()
    )
    return {parent for parent in (await session.exec(query)).all() if parent is not None}


async def customers_by_external_id(session: AsyncSession, external_ids: list[str]) -> dict[str, Customer]:
    if not external_ids:
        return {}
    query = select(Customer).where(col(Customer.external_id).in_(external_ids))
    return {c.external_id: c for c in (await session.exec(query)).all()}


async def bill_to_parent_children_of(session: AsyncSession, parent_id: int | None) -> list[Customer]:
    query = select(Customer).where(Customer.parent_id == parent_id).where(col(Customer.bill_to_parent))
    return list((await session.exec(query)).all())


# The enrollment filter: a live enrollment in one of these states, or none at all.
NOT_ENROLLED = "none"


def customers_query(
    search: str | None,
    paused: bool | None,
    definition_id: int | None = None,
    enrollment: str | None = None,
) -> SelectOfScalar[Customer]:
    """Customers whose name or external id contains `search`, paused or not, whose live
    enrollment is in workflow `definition_id` and in state `enrollment` (`none`: not enrolled)."""
    query = select(Customer)
    if search:
        # Escaped, so "50%" or "a_b" are looked for as typed, not as wildcards.
        query = query.where(
            col(Customer.name).icontains(search, autoescape=True)
            | col(Customer.external_id).icontains(search, autoescape=True)
        )
    if paused is not None:
        query = query.where(Customer.paused == paused)
    live = select(Enrollment.customer_id).where(col(Enrollment.state).in_(LIVE))
    if enrollment == NOT_ENROLLED:
        # Not enrolled, yet in a workflow: nobody.
        query = query.where(col(Customer.id).not_in(live) if definition_id is None else false())
    elif enrollment is not None or definition_id is not None:
        if enrollment is not None:
            live = live.where(Enrollment.state == enrollment)
        if definition_id is not None:
            live = live.where(Enrollment.definition_id == definition_id)
        query = query.where(col(Customer.id).in_(live))
    return query.order_by(col(Customer.id))


async def customers_page(
    session: AsyncSession,
    limit: int,
    offset: int,
    search: str | None,
    paused: bool | None,
    definition_id: int | None = None,
    enrollment: str | None = None,
) -> tuple[list[Customer], int]:
    """Customers in id order, narrowed as `customers_query` says."""
    return await paged(session, customers_query(search, paused, definition_id, enrollment), limit, offset)


async def customer_ids_matching(
    session: AsyncSession,
    limit: int,
    search: str | None,
    paused: bool | None,
    definition_id: int | None = None,
    enrollment: str | None = None,
) -> list[int]:
    """The ids of the first `limit` customers `customers_page` pages through."""
    query = customers_query(search, paused, definition_id, enrollment).limit(limit)
    return [require_id(c) for c in (await session.exec(query)).all()]


async def children_of(session: AsyncSession, parent_id: int) -> list[Customer]:
    """Every direct child of a customer, billed to it or not, in id order."""
    query = select(Customer).where(Customer.parent_id == parent_id).order_by(col(Customer.id))
    return list((await session.exec(query)).all())
