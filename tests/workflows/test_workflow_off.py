"""A workflow switched OFF stops sending for its running enrollments; ON again, they resume
where the schedule stands, under the definition's catch-up policy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Enrollment, User, WorkflowDefinition
from models.settings import Settings
from services import definitions, timeline
from services.unit_of_work import AppState, unit_of_work
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_template,
    make_user,
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow

NEW_YORK = ZoneInfo("America/New_York")


async def _weekly_reminders(
    session: AsyncSession, cadence: Engine, catch_up: str
) -> tuple[int, WorkflowDefinition, Enrollment, User]:
    await make_org(session)
    today = (await cadence.now()).astimezone(NEW_YORK).date()
    customer = await make_customer(session, name="Globex Corp")
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(
        session,
        customer,
        number="INV-3001",
        due_date=today + timedelta(days=1),
        issue_date=today - timedelta(days=29),
        total=Decimal("500.00"),
        balance_due=Decimal("500.00"),
    )
    template = await make_template(session)
    definition = await make_definition(
        session,
        name="Weekly reminders",
        catch_up=catch_up,
        steps=[
            {"offset_days": o, "action": "customer_email", "template_id": template.id} for o in (0, 7, 14, 28)
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    admin = await make_user(session, role="admin", email="admin@acme.example")
    await session.commit()
    assert customer.id is not None
    return customer.id, definition, enrollment, admin


def _state(cadence: Engine) -> AppState:
    return AppState(
        settings=Settings(), sessions=cadence.sessions, temporal=cadence.client, task_queue=cadence.task_queue
    )


async def _switch(cadence: Engine, definition: WorkflowDefinition, enabled: bool, actor: User) -> None:
    """As the API does: the change is committed, then the running enrollments are signalled."""
    assert definition.id is not None
    async with unit_of_work(_state(cadence)) as uow:
        await definitions.set_enabled(uow, definition.id, enabled, actor)


async def test_switched_off_workflow_sends_nothing(session: AsyncSession, cadence: Engine) -> None:
    customer_id, definition, enrollment, admin = await _weekly_reminders(session, cadence, "skip")
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))
    assert len(await cadence.outbox(customer_id)) == 1  # the due-date reminder

    await _switch(cadence, definition, False, admin)
    status = await cadence.wait_for(handle, lambda s: "is off" in s.details)
    assert status is not None
    assert status.details.startswith("Waiting: Workflow 'Weekly reminders' is off: nothing is sent")
    assert status.next_step_at is None
    assert enrollment.id is not None
    async with unit_of_work(_state(cadence)) as uow:
        shown = await timeline.upcoming(uow, enrollment.id, 5)
    assert (
        shown.workflow_off
        == "Workflow 'Weekly reminders' is off: nothing is sent until it is switched on again"
    )

    await cadence.advance(handle, timedelta(days=35))

    assert len(await cadence.outbox(customer_id)) == 1
    off = [
        h for h in await cadence.history(customer_id) if "Workflow 'Weekly reminders' is off" in h.description
    ]
    assert len(off) == 1  # once, however many times it woke up while off
    status = await handle.query(EnrollmentWorkflow.status)
    assert "is off" in status.details


async def test_switched_back_on_resumes_under_the_catch_up_policy(
    session: AsyncSession, cadence: Engine
) -> None:
    customer_id, definition, enrollment, admin = await _weekly_reminders(session, cadence, "latest")
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))
    await _switch(cadence, definition, False, admin)
    await cadence.wait_for(handle, lambda s: "is off" in s.details)
    # Off over the +7 and +14 reminders.
    await cadence.advance(handle, timedelta(days=15))
    assert len(await cadence.outbox(customer_id)) == 1

    await _switch(cadence, definition, True, admin)
    await cadence.wait_for(handle, lambda s: s.details.startswith("Waiting until"))
    # "latest": the most recent missed reminder (+14) is sent once, +7 is recorded as missed.
    outbox = await cadence.outbox(customer_id)
    assert len(outbox) == 2
    history = await cadence.history(customer_id)
    missed = [h for h in history if h.action == "steps_missed"]
    assert len(missed) == 1
    assert "step 2" in missed[0].description
    # And the cadence goes on from there: +28 on its day.
    await cadence.advance(handle, timedelta(days=14))
    assert len(await cadence.outbox(customer_id)) == 3


async def test_switched_off_in_postgres_without_a_signal_is_caught_at_the_next_wake(
    session: AsyncSession, cadence: Engine
) -> None:
    customer_id, definition, enrollment, _ = await _weekly_reminders(session, cadence, "skip")
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=2))
    definition.enabled = False  # the refresh signal is lost
    session.add(definition)
    await session.commit()

    await cadence.advance(handle, timedelta(days=20))

    assert len(await cadence.outbox(customer_id)) == 1
    status = await handle.query(EnrollmentWorkflow.status)
    assert "Workflow 'Weekly reminders' is off" in status.details
