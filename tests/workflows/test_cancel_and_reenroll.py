"""Issue 15, rules 2 and 3 in the engine: a cancelled enrollment's workflow never sends, and one
message goes out per customer, step, invoice and day, across enrollments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from activities.channels.outbox import OutboxChannel
from activities.contracts import SendInput
from activities.sending import SendingActivities
from domain.deliveries import delivery_key
from models import Delivery, Enrollment, HistoryEntry, WorkflowStep
from models.base import require_id
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
from workflows.enrollment_types import CancelSignal, ReassignSignal, RefreshSignal

NY = ZoneInfo("America/New_York")


async def _past_the_send_time_on(cadence: Engine, day: date) -> timedelta:
    """From the test server's now to 15:00 New York on `day`: after the 14:30 send time, whatever
    the wall-clock time the suite runs at (the time-skipping server starts at real time)."""
    return datetime.combine(day, time(15, 0), tzinfo=NY) - await cadence.now()


async def _cancel_in_database(session: AsyncSession, enrollment: Enrollment) -> None:
    enrollment.state, enrollment.ended_at = "cancelled", datetime.now(UTC)
    session.add(enrollment)
    await session.commit()


async def test_one_message_per_customer_step_invoice_and_day_across_enrollments(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=2))
    # "latest" makes the re-enrollment catch up the step that already went out today.
    definition = await make_definition(
        session, catch_up="latest", steps=[{"offset_days": 0, "action": "customer_email"}]
    )
    first = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(first, definition)
    await cadence.advance(handle, await _past_the_send_time_on(cadence, today + timedelta(days=2)))
    assert len(await cadence.outbox(customer.id)) == 1

    # Cancelled and enrolled again in the same workflow, on the same day.
    await _cancel_in_database(session, first)
    await handle.signal(EnrollmentWorkflow.cancel, CancelSignal(actor="admin@acme.example"))
    assert await handle.result() == "cancelled"
    second = await make_enrollment(
        session, customer, definition, anchor_date=(await cadence.now()).astimezone(NY).date()
    )
    await session.commit()
    again = await cadence.start(second, definition)
    assert again.id == f"enrollment-{second.id}" != handle.id

    assert len(await cadence.outbox(customer.id)) == 1
    (delivery,) = await cadence.deliveries(customer.id)
    assert delivery.enrollment_id == first.id and delivery.status == "sent"
    words = [
        h.description
        for h in await cadence.rows(HistoryEntry, HistoryEntry.enrollment_id == second.id)
        if h.action == "step_skipped"
    ]
    assert len(words) == 1 and "already sent today by enrollment" in words[0], words
    assert "one message per customer, step, invoice and day" in words[0]


async def test_a_cancelled_enrollment_never_sends_what_it_prepared_and_its_successor_sends_it_once(
    session: AsyncSession, cadence: Engine
) -> None:
    """The old run prepared the step's delivery, then lost the race with a cancel: its send
    refuses, the row stays pending, and the re-enrollment that reaches the step sends it, once."""
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    invoice = await make_invoice(session, customer, due_date=today + timedelta(days=2))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    first = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    (step,) = await cadence.rows(WorkflowStep, WorkflowStep.definition_id == definition.id)

    def delivery(key: str, status: str) -> Delivery:
        return Delivery(
            idempotency_key=key,
            occurrence_key="prepared by the old run",
            customer_id=customer.id,
            enrollment_id=first.id,
            invoice_id=invoice.id,
            step_id=step.id,
            channel="email",
            status=status,
            recipients=[{"address": "ap@globex.example"}],
            subject="Reminder",
            text_body="Please pay",
        )

    key = delivery_key(customer.id, step.id, invoice.id, invoice.due_date, "email")
    async with cadence.sessions() as s:
        prepared, claimed = delivery(key, "pending"), delivery("claimed by the old run", "sending")
        s.add_all([prepared, claimed])
        await s.commit()
    await _cancel_in_database(session, first)
    old_run = SendingActivities(
        cadence.sessions, OutboxChannel(cadence.sessions), OutboxChannel(cadence.sessions)
    )
    refused = await old_run.send(SendInput(delivery_id=prepared.id, as_of=await cadence.now()))
    assert refused.status == "pending" and "the enrollment is cancelled" in refused.note
    # Claimed before the cancel: the exactly-once rules decide (unknown, a person checks).
    ambiguous = await old_run.send(SendInput(delivery_id=claimed.id, as_of=await cadence.now()))
    assert ambiguous.status == "unknown"
    assert await cadence.outbox(customer.id) == []

    second = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(second, definition)
    await cadence.advance(handle, await _past_the_send_time_on(cadence, today + timedelta(days=2)))

    assert len(await cadence.outbox(customer.id)) == 1
    (adopted,) = await cadence.rows(Delivery, Delivery.id == prepared.id)
    assert (adopted.status, adopted.enrollment_id) == ("sent", second.id)


async def test_a_reassign_meant_for_another_enrollment_is_ignored(
    session: AsyncSession, cadence: Engine
) -> None:
    """An old `enrollment-<customer id>` run can share its id with a new enrollment's workflow:
    a reassign names its enrollment, and a run of another one leaves it alone."""
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=10))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    other = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await handle.signal(
        EnrollmentWorkflow.reassign,
        ReassignSignal(
            definition_id=other.id, actor="admin@acme.example", enrollment_id=require_id(enrollment) + 1
        ),
    )
    await handle.signal(EnrollmentWorkflow.refresh, RefreshSignal())
    status = await cadence.settle(handle)

    assert status is not None and status.definition_id == definition.id
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.definition_id == definition.id
