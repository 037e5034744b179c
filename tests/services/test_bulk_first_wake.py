"""A bulk batch makes each new enrollment's first plan: where that plan would only wait for the next
step, the enrollment row names its next step and the workflow is started with its first wake-up;
anything the first plan must do or react to is left to the workflow (`first_wake` stays None).

The workflows are started on a task queue nobody polls: what the test reads is the start request
(the first event of each workflow's history), then they are terminated."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from models import Enrollment, PromiseToPay, WorkflowDefinition
from models.automations import Automation, Event, WorkflowAutomation
from models.base import require_id
from models.db import SessionFactory, session_factory
from models.settings import Settings
from services.enrollments import BatchEnrollment, enroll_new_customers
from services.unit_of_work import AppState, unit_of_work
from tests.builders import add, make_customer, make_definition, make_invoice, make_org
from workflows.enrollment_types import EnrollmentInput, FirstWake, enrollment_workflow_id

NY = ZoneInfo("America/New_York")
ACTOR = "ops@acme.example"
REMINDERS = [{"offset_days": -3, "action": "customer_email"}, {"offset_days": 7, "action": "customer_email"}]


@dataclass
class Bulk:
    sessions: SessionFactory
    state: AppState
    env: WorkflowEnvironment

    async def enroll(self, definition_id: int, customer_ids: list[int]) -> BatchEnrollment:
        async with unit_of_work(self.state) as uow:
            return await enroll_new_customers(uow, definition_id, customer_ids, ACTOR)

    async def first_wake(self, enrollment_id: int) -> FirstWake | None:
        """The `first_wake` of the input the enrollment's workflow was started with."""
        handle = self.env.client.get_workflow_handle(enrollment_workflow_id(enrollment_id))
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        [request] = await self.env.client.data_converter.decode(started.input.payloads, [EnrollmentInput])
        assert isinstance(request, EnrollmentInput) and request.enrollment_id == enrollment_id
        return request.first_wake

    async def row(self, enrollment_id: int) -> Enrollment:
        async with self.sessions() as session:
            enrollment = await session.get(Enrollment, enrollment_id)
        assert enrollment is not None
        return enrollment

    async def unprocessed_events(self, customer_id: int) -> int:
        async with self.sessions() as session:
            query = select(Event).where(Event.customer_id == customer_id, col(Event.processed_at).is_(None))
            return len((await session.exec(query)).all())

    async def events(self, customer_id: int) -> list[Event]:
        async with self.sessions() as session:
            return list((await session.exec(select(Event).where(Event.customer_id == customer_id))).all())


@pytest_asyncio.fixture
async def bulk(
    db_engine: AsyncEngine, time_skipping_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[Bulk]:
    sessions = session_factory(db_engine)
    async with sessions() as session:
        await make_org(session)
        await session.commit()
    state = AppState(
        settings=Settings(), sessions=sessions, temporal=time_skipping_env.client, task_queue=task_queue
    )
    harness = Bulk(sessions, state, time_skipping_env)
    try:
        yield harness
    finally:
        async with sessions() as session:
            for enrollment in (await session.exec(select(Enrollment))).all():
                handle = time_skipping_env.client.get_workflow_handle(enrollment.workflow_id)
                with contextlib.suppress(Exception):  # never started, or already closed
                    await handle.terminate("test done")


def _today() -> datetime:
    return datetime.now(UTC).astimezone(NY)


async def _definition(bulk: Bulk, **overrides: object) -> WorkflowDefinition:
    async with bulk.sessions() as session:
        definition = await make_definition(session, REMINDERS, **overrides)
        await session.commit()
    return definition


async def _customer_owing(bulk: Bulk, due_in_days: int, number: str, **overrides: object) -> int:
    async with bulk.sessions() as session:
        customer = await make_customer(session, name=f"Customer {number}", **overrides)
        due = _today().date() + timedelta(days=due_in_days)
        await make_invoice(
            session, customer, number=number, issue_date=due - timedelta(days=30), due_date=due
        )
        await session.commit()
        return require_id(customer)


async def test_a_bulk_enrolled_customer_with_nothing_due_starts_with_its_first_wake_and_its_next_step_saved(
    bulk: Bulk,
) -> None:
    definition = await _definition(bulk)
    customer_id = await _customer_owing(bulk, due_in_days=20, number="INV-7")
    before = datetime.now(UTC)

    out = await bulk.enroll(require_id(definition), [customer_id])

    enrollment_id = out.enrolled[customer_id]
    wake = await bulk.first_wake(enrollment_id)
    assert wake is not None
    assert before <= wake.planned_at <= datetime.now(UTC)
    # The first reminder, three days before the due date, at the organization's send time.
    assert wake.wake_at is not None and wake.wake_at.astimezone(NY).time().strftime("%H:%M") == "14:30"
    assert wake.wake_at.astimezone(NY).date() >= _today().date() + timedelta(days=17)
    assert wake.label.endswith(": step 1 (email) for INV-7")
    assert wake.label.startswith(wake.wake_at.astimezone(NY).strftime("%a %d %b %Y 14:30"))
    assert (wake.definition_name, wake.definition_version) == (definition.name, definition.version)
    assert (await bulk.row(enrollment_id)).next_step_at == wake.wake_at
    # Nothing watches its events: processed by its first plan, as the workflow's would have.
    assert await bulk.unprocessed_events(customer_id) == 0
    (enrolled,) = await bulk.events(customer_id)  # processed when it happened, not before
    assert enrolled.processed_at is not None and enrolled.processed_at >= enrolled.occurred_at


async def test_a_bulk_enrolled_customer_with_no_open_invoice_waits_for_one_without_a_first_plan_at_start(
    bulk: Bulk,
) -> None:
    definition = await _definition(bulk)
    async with bulk.sessions() as session:
        customer_id = require_id(await make_customer(session))
        await session.commit()

    out = await bulk.enroll(require_id(definition), [customer_id])

    wake = await bulk.first_wake(out.enrolled[customer_id])
    assert wake is not None and wake.wake_at is None and wake.label == ""
    assert (await bulk.row(out.enrolled[customer_id])).next_step_at is None


async def test_a_bulk_enrolled_customer_with_a_reminder_already_missed_is_planned_by_its_workflow(
    bulk: Bulk,
) -> None:
    definition = await _definition(bulk)
    late = await _customer_owing(bulk, due_in_days=-20, number="INV-OLD")  # both reminders passed
    on_time = await _customer_owing(bulk, due_in_days=20, number="INV-NEW")

    out = await bulk.enroll(require_id(definition), [late, on_time])

    assert await bulk.first_wake(out.enrolled[late]) is None
    assert (await bulk.row(out.enrolled[late])).next_step_at is None
    # Its `enrolled` event is for its workflow's first plan to process.
    assert await bulk.unprocessed_events(late) == 1
    assert await bulk.first_wake(out.enrolled[on_time]) is not None


async def test_a_bulk_enrolled_paused_customer_is_planned_by_its_workflow(bulk: Bulk) -> None:
    definition = await _definition(bulk)
    paused = await _customer_owing(
        bulk, due_in_days=20, number="INV-P", paused=True, pause_reason="in talks", paused_by=ACTOR
    )
    # A pause past its end date is resumed, and the history says so, by the workflow's first plan.
    ended = await _customer_owing(
        bulk,
        due_in_days=20,
        number="INV-E",
        paused=True,
        paused_until=datetime.now(UTC) - timedelta(days=1),
        pause_reason="until yesterday",
        paused_by=ACTOR,
    )

    out = await bulk.enroll(require_id(definition), [paused, ended])

    assert await bulk.first_wake(out.enrolled[paused]) is None
    assert await bulk.first_wake(out.enrolled[ended]) is None
    assert (await bulk.row(out.enrolled[paused])).next_step_at is None


async def test_a_bulk_enrolled_customer_with_an_open_promise_is_planned_by_its_workflow(bulk: Bulk) -> None:
    definition = await _definition(bulk)
    customer_id = await _customer_owing(bulk, due_in_days=20, number="INV-PR")
    async with bulk.sessions() as session:
        await add(
            session,
            PromiseToPay(
                customer_id=customer_id,
                amount=Decimal("1200.00"),
                promised_date=_today().date() + timedelta(days=5),
                deadline_at=datetime.now(UTC) + timedelta(days=7),
                recorded_by=ACTOR,
            ),
        )
        await session.commit()

    out = await bulk.enroll(require_id(definition), [customer_id])

    assert await bulk.first_wake(out.enrolled[customer_id]) is None


async def test_a_bulk_enrolled_customer_with_an_automation_attached_is_planned_by_its_workflow(
    bulk: Bulk,
) -> None:
    definition = await _definition(bulk)
    async with bulk.sessions() as session:
        automation = await add(session, Automation(name="Welcome", trigger={"kind": "enrolled"}))
        await add(session, WorkflowAutomation(definition_id=definition.id, automation_id=automation.id))
        await session.commit()
    customer_id = await _customer_owing(bulk, due_in_days=20, number="INV-A")

    out = await bulk.enroll(require_id(definition), [customer_id])

    assert await bulk.first_wake(out.enrolled[customer_id]) is None
    assert (await bulk.row(out.enrolled[customer_id])).next_step_at is None
    # Its workflow reacts to the `enrolled` event first.
    assert await bulk.unprocessed_events(customer_id) == 1
