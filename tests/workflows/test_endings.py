"""How a cadence ends: in the wake-up of its last step, only once it has really run, and never by
switching twice without a timer between."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Enrollment, HistoryEntry
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine

NY = ZoneInfo("America/New_York")


async def _today(cadence: Engine) -> date:
    return (await cadence.now()).astimezone(NY).date()


def _local_day(entry: HistoryEntry) -> date:
    return entry.occurred_at.astimezone(NY).date()


async def test_an_assignment_cadence_completes_in_the_wake_up_of_its_last_step(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    definition = await make_definition(
        session,
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "note", "parameters": {"text": "Opened"}},
            {"offset_days": 2, "action": "note", "parameters": {"text": "Closed"}},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=6))

    history = await cadence.history(customer.id)
    (last,) = [h for h in history if h.description == "Note: Closed"]
    (completed,) = [h for h in history if h.action == "enrollment_completed"]
    assert _local_day(last) == start + timedelta(days=2)
    assert _local_day(completed) == _local_day(last)  # no idle day after the last step
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.state == "completed" and row.ended_at is not None


async def test_continue_with_after_the_last_step_anchors_the_successor_on_that_day(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    follow_up = await make_definition(
        session,
        kind="assignment",
        steps=[{"offset_days": 3, "action": "note", "parameters": {"text": "Three days later"}}],
    )
    definition = await make_definition(
        session,
        kind="assignment",
        continue_with_id=follow_up.id,
        steps=[{"offset_days": 1, "action": "note", "parameters": {"text": "Last of the first"}}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=8))

    history = await cadence.history(customer.id)
    (last,) = [h for h in history if h.description == "Note: Last of the first"]
    (later,) = [h for h in history if h.description == "Note: Three days later"]
    assert _local_day(last) == start + timedelta(days=1)
    # "N days later" counts from the day the first workflow really ended.
    assert _local_day(later) == _local_day(last) + timedelta(days=3)
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.state, row.anchor_date) == (follow_up.id, "completed", _local_day(last))


async def test_an_invoice_cadence_with_nothing_open_does_not_continue_with_its_successor(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = await _today(cadence)
    customer = await make_customer(session)
    await make_contact(session, customer)
    final_notice = await make_definition(
        session,
        kind="assignment",
        steps=[{"offset_days": 0, "action": "note", "parameters": {"text": "Final"}}],
    )
    reminders = await make_definition(
        session, continue_with_id=final_notice.id, steps=[{"offset_days": 2, "action": "customer_email"}]
    )
    enrollment = await make_enrollment(session, customer, reminders, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, reminders)
    await cadence.advance(handle, timedelta(days=3))

    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.state) == (reminders.id, "active")  # waiting for an invoice
    assert "workflow_continued" not in [h.action for h in await cadence.history(customer.id)]

    # An invoice enters, its reminder runs: now the cadence has really ended, and it continues.
    await make_invoice(session, customer, due_date=await _today(cadence))
    await session.commit()
    await cadence.advance(handle, timedelta(days=4))
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.definition_id == final_notice.id
    assert len(await cadence.outbox(customer.id)) == 1
