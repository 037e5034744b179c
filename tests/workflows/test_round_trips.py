"""What a due step costs in Temporal: one local activity before the send (plan and prepare
together) and one after (record), plus the send itself (issue 18, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from models import Customer, Enrollment, WorkflowDefinition
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import FirstWake

NY = ZoneInfo("America/New_York")
LOCAL_ACTIVITY = "core_local_activity"


def _local_activities(events: list[HistoryEvent]) -> int:
    return sum(
        1
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY
    )


def _around_sends(history: WorkflowHistory) -> list[tuple[int, int]]:
    """For each `send` activity: the local activities since the last timer fired (or the start),
    and those from its completion to the next timer (the enrollment sleeps again)."""
    events = list(history.events)
    rounds: list[tuple[int, int]] = []
    woke = 0
    for index, event in enumerate(events):
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            woke = index
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            assert event.activity_task_scheduled_event_attributes.activity_type.name == "send"
            done = next(
                i
                for i in range(index, len(events))
                if events[i].event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            )
            slept = next(
                i
                for i in range(done, len(events))
                if events[i].event_type == EventType.EVENT_TYPE_TIMER_STARTED
            )
            rounds.append((_local_activities(events[woke:index]), _local_activities(events[done:slept])))
    return rounds


async def _assignment_cadence(
    session: AsyncSession, cadence: Engine, offsets: tuple[int, ...]
) -> tuple[Customer, WorkflowDefinition, Enrollment]:
    """A customer owing an invoice due in 30 days, enrolled today in customer emails at `offsets`."""
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=30))
    definition = await make_definition(
        session, kind="assignment", steps=[{"offset_days": d, "action": "customer_email"} for d in offsets]
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    return customer, definition, enrollment


async def test_a_due_reminder_is_one_local_activity_before_the_send_and_one_after(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _assignment_cadence(session, cadence, (0, 2, 4))
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=3))  # the third step is still to come

    assert len(await cadence.outbox(customer.id)) == 2  # each step sent, once
    history = await cadence.history(customer.id)
    assert [h.action for h in history].count("message_sent") == 2
    # Plan-and-prepare, send, record: for the step due at the start and the one a timer woke for.
    assert _around_sends(await handle.fetch_history()) == [(1, 1), (1, 1)]


async def test_an_enrollment_planned_when_enrolled_starts_with_its_timer_and_sends_on_time(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _assignment_cadence(session, cadence, (1, 3))
    now = await cadence.now()
    # As the bulk job plans it: nothing due now, the first step tomorrow at the send time (14:30).
    wake_at = datetime.combine(now.astimezone(NY).date() + timedelta(days=1), time(14, 30), NY).astimezone(
        UTC
    )
    first = FirstWake(
        planned_at=now,
        wake_at=wake_at,
        label="tomorrow: step 1",
        definition_name=definition.name,
        definition_version=definition.version,
    )
    handle = await cadence.start(enrollment, definition, first_wake=first)
    status = await cadence.settle(handle)

    assert status is not None and status.next_step_at == wake_at
    assert status.details.startswith("Waiting until tomorrow: step 1")
    started = list((await handle.fetch_history()).events)
    assert _local_activities(started) == 0  # no plan at start: the timer only
    assert not await cadence.outbox(customer.id)

    await cadence.advance(handle, timedelta(days=2))

    (_sent,) = await cadence.outbox(customer.id)  # step 1, once, on its day; step 2 still to come
    status = await handle.query(EnrollmentWorkflow.status)
    assert status.steps_done == 1 and status.next_step_at is not None and status.next_step_at > wake_at
