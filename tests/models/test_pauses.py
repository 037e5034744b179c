"""Pausing and resuming a customer changes its pause fields, its live enrollment and its history
together, whoever asks: a person through the API, or the engine when a pause reaches its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import EnrollmentState, HistoryAction
from models import HistoryEntry
from models.repository.pauses import pause_and_record, resume_and_record
from tests.builders import make_customer, make_definition, make_enrollment

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _history(session: AsyncSession, customer_id: int | None) -> list[HistoryEntry]:
    query = select(HistoryEntry).where(HistoryEntry.customer_id == customer_id)
    return list((await session.exec(query)).all())


async def test_a_pause_until_a_date_pauses_the_enrollment_and_is_written_down(
    db_session: AsyncSession,
) -> None:
    customer = await make_customer(db_session)
    enrollment = await make_enrollment(db_session, customer, await make_definition(db_session))
    until = NOON + timedelta(days=7)

    await pause_and_record(
        db_session,
        customer,
        until=until,
        reason="Promise to pay",
        actor="support@acme.example",
        occurred_at=NOON,
        enrollment=enrollment,
    )

    assert (customer.paused, customer.paused_until) == (True, until)
    assert (customer.pause_reason, customer.paused_by) == ("Promise to pay", "support@acme.example")
    assert enrollment.state == EnrollmentState.PAUSED
    [entry] = await _history(db_session, customer.id)
    assert entry.action == HistoryAction.CUSTOMER_PAUSED and entry.enrollment_id == enrollment.id
    assert entry.description == f"Paused by support@acme.example until {until.isoformat()}: Promise to pay"
    assert entry.details == {"until": until.isoformat(), "reason": "Promise to pay"}
    assert customer.last_action_by == "support@acme.example"


async def test_the_engine_ends_a_pause_once_per_key_without_taking_the_last_action(
    db_session: AsyncSession,
) -> None:
    customer = await make_customer(
        db_session, paused=True, paused_until=NOON, pause_reason="Promise to pay", paused_by="x@acme.example"
    )
    key = f"resume:{customer.id}:{customer.paused_until}"

    for _ in range(2):
        await resume_and_record(
            db_session,
            customer,
            description="Pause ended on its end date (was: Promise to pay)",
            actor="arcadence",
            occurred_at=NOON,
            enrollment=None,
            key=key,
            last_action=False,
        )

    assert (customer.paused, customer.paused_until, customer.pause_reason, customer.paused_by) == (
        False,
        None,
        None,
        None,
    )
    [entry] = await _history(db_session, customer.id)
    assert entry.action == HistoryAction.CUSTOMER_RESUMED and entry.idempotency_key == key
    assert entry.actor == "arcadence" and entry.enrollment_id is None
    assert customer.last_action is None
