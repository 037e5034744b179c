"""Enrollments: by id, the live one of a customer, the live ones a change must refresh."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import AutopayAnchor, EnrollmentState
from domain.schedules import EnrollmentContext
from models import Customer, Enrollment, Invoice
from models.repository.errors import NotFound
from models.repository.invoices import invoice_spec

# The states in which an enrollment's workflow runs (and listens).
LIVE = (EnrollmentState.ACTIVE.value, EnrollmentState.PAUSED.value)


async def load_enrollment(session: AsyncSession, enrollment_id: int, *, lock: bool = False) -> Enrollment:
    # Unlocked, from the session when this unit of work has read it already (the plan prepares
    # in its own transaction: one read of the row, not two).
    enrollment = await session.get(Enrollment, enrollment_id, with_for_update=lock or None)
    if enrollment is None:
        raise NotFound(f"enrollment {enrollment_id} does not exist")
    return enrollment


async def live_enrollment(
    session: AsyncSession, customer_id: int, *, lock: bool = False
) -> Enrollment | None:
    """The customer's running enrollment, if it has one (at most one is live)."""
    query = (
        select(Enrollment).where(Enrollment.customer_id == customer_id).where(col(Enrollment.state).in_(LIVE))
    )
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def reserve_enrollment_ids(session: AsyncSession, count: int) -> list[int]:
    """`count` new enrollment ids from the table's sequence (one statement), so that rows can be
    written with their workflow id in the same insert."""
    if count <= 0:
        return []
    sequence = func.pg_get_serial_sequence("enrollment", "id")
    query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return [int(i) for i in (await session.exec(query)).all()]


async def insert_new_enrollments(session: AsyncSession, rows: Sequence[dict[str, object]]) -> dict[int, int]:
    """Insert enrollment rows (each with its reserved id) in one multi-row statement; a customer
    that has a live enrollment by now (another request got there first) is left out by the
    unique index. Returns customer id -> enrollment id of the rows written."""
    if not rows:
        return {}
    statement = (
        insert(Enrollment)
        .values(list(rows))
        .on_conflict_do_nothing(
            index_elements=["customer_id"], index_where=text("state IN ('active', 'paused')")
        )
        .returning(col(Enrollment.customer_id), col(Enrollment.id))
    )
    result = await (await session.connection()).execute(statement)
    return {
        int(customer_id): int(enrollment_id)
        for customer_id, enrollment_id in result.all()
        if enrollment_id is not None
    }


async def live_enrollments_of_customers(session: AsyncSession, customer_ids: list[int]) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(col(Enrollment.customer_id).in_(customer_ids))
        .where(col(Enrollment.state).in_(LIVE))
    )
    return list((await session.exec(query)).all())


async def live_enrollments_of_definition(
    session: AsyncSession, definition_id: int | None
) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.definition_id == definition_id)
        .where(col(Enrollment.state).in_(LIVE))
    )
    return list((await session.exec(query)).all())


async def all_live_enrollments(session: AsyncSession) -> list[Enrollment]:
    query = select(Enrollment).where(col(Enrollment.state).in_(LIVE))
    return list((await session.exec(query)).all())


async def enrollments_of(session: AsyncSession, customer_id: int) -> list[Enrollment]:
    """Every enrollment the customer had, newest first."""
    query = (
        select(Enrollment).where(Enrollment.customer_id == customer_id).order_by(col(Enrollment.id).desc())
    )
    return list((await session.exec(query)).all())


def enrollment_context(
    enrollment: Enrollment, customer: Customer, invoices: Sequence[Invoice]
) -> EnrollmentContext:
    assert enrollment.id is not None
    return EnrollmentContext(
        enrollment_id=enrollment.id,
        anchor_date=enrollment.anchor_date,
        invoices=tuple(invoice_spec(i) for i in invoices),
        autopay_anchor=AutopayAnchor(customer.autopay_anchor),
    )
