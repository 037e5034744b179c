"""A pause of any length keeps the history bounded: three years paused on a weekly statement."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.enums.v1 import EventType

from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine
from workflows import policies
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import PauseSignal, ResumeSignal

NY = ZoneInfo("America/New_York")
THREE_YEARS = timedelta(days=3 * 365)


async def test_a_customer_paused_for_three_years_stays_within_the_history_budget_and_misses_once(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    definition = await make_definition(
        session,
        kind="customer",
        catch_up="skip",
        frequency={"period": "weekly", "weekday": today.weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    customer.paused, customer.paused_by, customer.pause_reason = True, "support@acme.example", "in court"
    session.add(customer)
    await session.commit()
    await handle.signal(
        EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="in court")
    )
    await cadence.wait_for(handle, lambda s: s.paused)

    elapsed = timedelta(0)
    while elapsed < THREE_YEARS:
        await cadence.env.sleep(timedelta(days=30))
        elapsed += timedelta(days=30)
        await cadence.settle(handle)

    latest = cadence.client.get_workflow_handle(handle.id)
    status = await latest.query(EnrollmentWorkflow.status)
    assert status.paused and status.pause_reason == "in court"  # kept across runs
    runs = [cadence.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id), latest]
    histories = [await run.fetch_history() for run in runs]
    assert histories[1].events[0].workflow_execution_started_event_attributes.continued_execution_run_id
    for history in histories:
        assert len(history.events) <= policies.HISTORY_EVENTS_BUDGET + 50
        size = sum(e.ByteSize() for e in history.events)
        assert size <= policies.HISTORY_BYTES_BUDGET + 64 * 1024
    assert not any(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED for e in histories[1].events
    )
    assert await cadence.outbox(customer.id) == []

    customer.paused = False
    session.add(customer)
    await session.commit()
    await latest.signal(EnrollmentWorkflow.resume, ResumeSignal(actor="support@acme.example"))
    await cadence.wait_for(latest, lambda s: not s.paused)  # type: ignore[arg-type]

    missed = [h for h in await cadence.history(customer.id) if h.action == "steps_missed"]
    assert len(missed) == 1  # one entry for the whole pause, not a burst
    assert missed[0].description.startswith("Missed while paused or unavailable: ")
    assert missed[0].details["missed_count"] >= 150
    assert f"and {missed[0].details['missed_count'] - 10} more" in missed[0].description
    assert await cadence.outbox(customer.id) == []  # skip: nothing is sent late
