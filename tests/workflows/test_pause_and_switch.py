"""Pause, resume, lost signals, reassign and edits: Postgres is the truth, signals only nudge."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, Enrollment, WorkflowDefinition, WorkflowStep
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
from workflows.enrollment_types import PauseSignal, ReassignSignal, RefreshSignal, ResumeSignal

NY = ZoneInfo("America/New_York")


async def _weekly_statement(session: AsyncSession, cadence: Engine, catch_up: str = "latest"):
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    definition = await make_definition(
        session,
        kind="customer",
        catch_up=catch_up,
        frequency={"period": "weekly", "weekday": today.weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    return customer, definition, enrollment


async def _pause_in_database(
    session: AsyncSession, customer: Customer, until: datetime | None = None
) -> None:
    customer.paused, customer.paused_by, customer.pause_reason, customer.paused_until = (
        True,
        "support@acme.example",
        "promise to pay",
        until,
    )
    session.add(customer)
    await session.commit()


async def test_customer_paused_on_day_two_and_resumed_on_day_twenty_then_catches_up_once(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _weekly_statement(session, cadence, catch_up="latest")
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))

    await _pause_in_database(session, customer)
    await handle.signal(
        EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="promise to pay")
    )
    status = await cadence.wait_for(handle, lambda s: s.paused)
    assert status.details.startswith("Paused by support@acme.example")
    await cadence.advance(handle, timedelta(days=18))
    assert await cadence.outbox(customer.id) == []

    customer.paused = False
    session.add(customer)
    await session.commit()
    await handle.signal(EnrollmentWorkflow.resume, ResumeSignal(actor="support@acme.example"))
    await cadence.wait_for(handle, lambda s: not s.paused)

    # Two or three statements fell in the pause; with "latest" exactly one goes out, once.
    assert len(await cadence.outbox(customer.id)) == 1
    missed = [h for h in await cadence.history(customer.id) if h.action == "steps_missed"]
    assert len(missed) == 1 and "catch-up" in missed[0].description


async def test_a_pause_in_postgres_whose_signal_was_lost_still_stops_every_send(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _weekly_statement(session, cadence)
    handle = await cadence.start(enrollment, definition)
    await _pause_in_database(session, customer)  # and no signal at all

    status = await cadence.advance(handle, timedelta(days=15))

    assert await cadence.outbox(customer.id) == []
    assert status.paused and status.state == "paused"


async def test_a_pause_until_a_date_ends_by_itself(session: AsyncSession, cadence: Engine) -> None:
    customer, definition, enrollment = await _weekly_statement(session, cadence, catch_up="skip")
    handle = await cadence.start(enrollment, definition)
    until = (await cadence.now()) + timedelta(days=10)
    await _pause_in_database(session, customer, until=until)
    await handle.signal(
        EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="ptp", until=until)
    )
    await cadence.wait_for(handle, lambda s: s.paused)

    await cadence.advance(handle, timedelta(days=17))

    status = await handle.query(EnrollmentWorkflow.status)
    assert not status.paused
    assert len(await cadence.outbox(customer.id)) == 1  # the statement after the pause, none during it
    assert "customer_resumed" in [h.action for h in await cadence.history(customer.id)]


async def test_reassign_mid_cadence_re_anchors_today_and_records_it(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _weekly_statement(session, cadence)
    other = await make_definition(
        session,
        name="Escalation",
        kind="assignment",
        steps=[{"offset_days": 2, "action": "note", "parameters": {"text": "escalated"}}],
    )
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=3))

    # What the API does: the decision in Postgres first, then the signal.
    await session.refresh(enrollment)
    enrollment.definition_id, enrollment.definition_version = require_id(other), other.version
    session.add(enrollment)
    await session.commit()
    await handle.signal(
        EnrollmentWorkflow.reassign, ReassignSignal(definition_id=other.id, actor="ar@acme.example")
    )
    status = await cadence.wait_for(handle, lambda s: s.definition_id == other.id)

    today = (await cadence.now()).astimezone(NY).date()
    assert status.next_step_at is not None
    assert status.next_step_at.astimezone(NY).date() == today + timedelta(days=2)
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.anchor_date) == (other.id, today)
    reassigned = [h for h in await cadence.history(customer.id) if h.action == "workflow_reassigned"]
    assert len(reassigned) == 1 and reassigned[0].actor == "ar@acme.example"
    assert "Escalation" in reassigned[0].description


async def test_a_definition_edited_while_an_enrollment_sleeps_takes_effect_after_refresh(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    invoice = await make_invoice(session, customer, due_date=today + timedelta(days=2))
    definition = await make_definition(
        session,
        steps=[
            {"offset_days": 0, "action": "customer_email"},
            {"offset_days": 14, "action": "customer_email"},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=3))
    before = await handle.query(EnrollmentWorkflow.status)
    assert before.next_step_at is not None and before.next_step_at.astimezone(
        NY
    ).date() == invoice.due_date + timedelta(days=14)

    async with cadence.sessions() as edit:
        (step,) = [
            s
            for s in await cadence.rows(WorkflowStep, WorkflowStep.definition_id == definition.id)
            if s.offset_days == 14
        ]
        step.offset_days = 5
        edit.add(step)
        (row,) = await cadence.rows(WorkflowDefinition, WorkflowDefinition.id == definition.id)
        row.version += 1
        edit.add(row)
        await edit.commit()
    await handle.signal(EnrollmentWorkflow.refresh, RefreshSignal(reason="definition edited"))
    after = await cadence.wait_for(handle, lambda s: s.next_step_at != before.next_step_at)

    assert after.next_step_at is not None
    assert after.next_step_at.astimezone(NY).date() == invoice.due_date + timedelta(days=5)
