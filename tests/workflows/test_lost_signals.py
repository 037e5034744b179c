"""A signal is never the only carrier of a decision: with it dropped, the workflow still reaches
the state Postgres says at its next wake-up (pause and cancel have their own tests)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from models import Enrollment, WorkflowStep
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
from workflows.enrollment_types import PauseSignal, ReassignSignal

NY = ZoneInfo("America/New_York")


def _notes(*days_and_texts: tuple[int, str]) -> list[dict[str, object]]:
    return [{"offset_days": d, "action": "note", "parameters": {"text": t}} for d, t in days_and_texts]


async def _today(cadence: Engine) -> date:
    return (await cadence.now()).astimezone(NY).date()


async def _noted(cadence: Engine, customer_id: int) -> list[str]:
    history = await cadence.history(customer_id)
    return [h.description.removeprefix("Note: ") for h in history if h.description.startswith("Note: ")]


async def test_a_reassign_whose_signal_was_lost_is_adopted_at_the_next_wake_up(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    first = await make_definition(session, kind="assignment", steps=_notes((0, "A0"), (2, "A2"), (4, "A4")))
    second = await make_definition(session, kind="assignment", steps=_notes((1, "B1")))
    enrollment = await make_enrollment(session, customer, first, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, first)
    await cadence.advance(handle, timedelta(days=2))  # A0 done; A2 is next, on start + 2
    assert await _noted(cadence, customer.id) == ["A0"]

    # What the API writes for a reassign, re-anchored on start + 1; the signal never arrives.
    await session.refresh(enrollment)
    enrollment.definition_id, enrollment.definition_version = require_id(second), second.version
    enrollment.anchor_date = start + timedelta(days=1)
    session.add(enrollment)
    await session.commit()
    await cadence.advance(handle, timedelta(days=5))

    assert await _noted(cadence, customer.id) == ["A0", "B1"]  # B's step on its day; no more of A
    raw = await cadence.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=cadence.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    indexed = raw.workflow_execution_info.search_attributes.indexed_fields
    assert indexed["DefinitionId"].data == f'"{second.id}"'.encode()  # engineers find it under B
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.state) == (second.id, "completed")


async def test_a_late_reassign_signal_never_undoes_a_later_reassign_in_postgres(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    first = await make_definition(session, kind="assignment", steps=_notes((0, "A0"), (3, "A3")))
    second = await make_definition(session, kind="assignment", steps=_notes((1, "B1")))
    third = await make_definition(session, kind="assignment", steps=_notes((1, "C1"), (2, "C2")))
    enrollment = await make_enrollment(session, customer, first, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, first)
    await cadence.advance(handle, timedelta(days=2))
    assert await _noted(cadence, customer.id) == ["A0"]

    # Reassigned to the second workflow, then at once to the third: Postgres holds the third,
    # and the workflow hears the first signal only after both writes.
    await session.refresh(enrollment)
    enrollment.definition_id, enrollment.definition_version = require_id(third), third.version
    enrollment.anchor_date = start + timedelta(days=1)
    session.add(enrollment)
    await session.commit()
    await handle.signal(
        EnrollmentWorkflow.reassign,
        ReassignSignal(
            definition_id=require_id(second), actor="support@acme.example", enrollment_id=enrollment.id
        ),
    )
    await cadence.advance(handle, timedelta(days=4))

    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.definition_id == third.id  # the later decision stands
    assert "B1" not in await _noted(cadence, customer.id)
    history = await cadence.history(customer.id)
    assert not [
        h for h in history if "to 'second" in h.description.lower() or h.details.get("to") == second.id
    ]


async def test_a_continue_with_whose_signal_was_lost_still_switches_when_the_cadence_ends(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    first = await make_definition(session, kind="assignment", steps=_notes((0, "A0"), (1, "A1")))
    successor = await make_definition(session, kind="assignment", steps=_notes((1, "C1")))
    enrollment = await make_enrollment(session, customer, first, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, first)

    await session.refresh(enrollment)
    enrollment.continue_with_id = successor.id  # the API's write; no continue_with signal
    session.add(enrollment)
    await session.commit()
    await cadence.advance(handle, timedelta(days=6))

    assert await _noted(cadence, customer.id) == ["A0", "A1", "C1"]
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.state) == (successor.id, "completed")


async def test_a_resume_whose_signal_was_lost_sends_the_next_statement_on_its_day(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = await _today(cadence)
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    definition = await make_definition(
        session,
        kind="customer",
        catch_up="skip",
        frequency={"period": "weekly", "weekday": (today + timedelta(days=3)).weekday()},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    customer.paused, customer.paused_by, customer.pause_reason = True, "support@acme.example", "call"
    session.add(customer)
    await session.commit()
    await handle.signal(EnrollmentWorkflow.pause, PauseSignal(actor="support@acme.example", reason="call"))
    await cadence.wait_for(handle, lambda s: s.paused)

    customer.paused = False  # resumed in Postgres; the resume signal is lost
    session.add(customer)
    await session.commit()
    await cadence.advance(handle, timedelta(days=4))

    assert len(await cadence.outbox(customer.id)) == 1
    status = await handle.query(EnrollmentWorkflow.status)
    assert not status.paused


async def test_an_edit_whose_refresh_was_lost_takes_effect_at_the_next_wake_up(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    start = await _today(cadence) + timedelta(days=1)
    customer = await make_customer(session)
    await make_contact(session, customer)
    definition = await make_definition(session, kind="assignment", steps=_notes((0, "zero"), (2, "two")))
    enrollment = await make_enrollment(session, customer, definition, anchor_date=start)
    await session.commit()
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=1))

    # The step moves from day 2 to day 4 and gets new words; the refresh signal never arrives.
    query = select(WorkflowStep).where(
        WorkflowStep.definition_id == definition.id, WorkflowStep.position == 1
    )
    step = (await session.exec(query)).one()
    step.offset_days, step.parameters = 4, {"text": "four"}
    session.add(step)
    await session.refresh(definition)
    definition.version += 1
    session.add(definition)
    await session.commit()
    await cadence.advance(handle, timedelta(days=6))

    assert await _noted(cadence, customer.id) == ["zero", "four"]
    status = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert status[0].definition_version == 2
