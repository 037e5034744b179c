"""An engineer finds an enrollment in Temporal by customer and reads it without reading code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.channels.outbox import OutboxChannel
from models.db import session_factory
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from workers.worker import build_worker
from workflows.client import enroll
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import EnrollmentInput
from workflows.search_attributes import ENROLLMENT_STATE, NEXT_STEP_AT

NY = ZoneInfo("America/New_York")


async def test_enrollment_is_listed_by_customer_with_summary_and_plain_words_details(
    dev_server_env: WorkflowEnvironment, db_engine: AsyncEngine, session: AsyncSession, task_queue: str
) -> None:
    client = dev_server_env.client
    await make_org(session)
    customer = await make_customer(session, name="Initech LLC")
    await make_contact(session, customer)
    today = (await dev_server_env.get_current_time()).astimezone(NY).date()
    await make_invoice(session, customer, number="INV-77", due_date=today + timedelta(days=10))
    definition = await make_definition(
        session, name="Net 30 reminders", steps=[{"offset_days": -3, "action": "customer_email"}]
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    sessions = session_factory(db_engine)
    outbox = OutboxChannel(sessions)

    async with build_worker(client, task_queue=task_queue, sessions=sessions, email=outbox, sms=outbox):
        handle = await enroll(
            client,
            EnrollmentInput(
                enrollment_id=enrollment.id,
                customer_id=customer.id,
                definition_id=definition.id,
                customer_name="Initech LLC",
            ),
            actor="admin@acme.example",
            definition_name="Net 30 reminders",
            task_queue=task_queue,
        )
        for _ in range(100):
            status = await handle.query(EnrollmentWorkflow.status)
            if status.details.startswith("Waiting until"):
                break
            await asyncio.sleep(0.1)
        metadata = await handle.query("__temporal_workflow_metadata")
        found = []
        for _ in range(100):  # visibility is eventually consistent
            found = [
                w
                async for w in client.list_workflows(
                    f'CustomerId="{customer.id}" AND ExecutionStatus="Running"'
                )
            ]
            if found and found[0].typed_search_attributes.get(NEXT_STEP_AT) is not None:
                break
            await asyncio.sleep(0.1)
        description = await handle.describe()
        await handle.terminate("test finished")

    # One workflow per enrollment, found by its customer.
    assert [w.id for w in found] == [f"enrollment-{enrollment.id}"]
    attributes = found[0].typed_search_attributes
    assert attributes.get(ENROLLMENT_STATE) == "active"
    assert attributes.get(NEXT_STEP_AT) == status.next_step_at
    assert await description.memo_value("customer_name") == "Initech LLC"
    assert await description.memo_value("customer_id") == customer.id
    assert await description.static_summary() == "Collections for Initech LLC in 'Net 30 reminders'"
    details = metadata.current_details
    assert details.startswith("Waiting until ")
    assert "step 1 (email) for INV-77" in details
    assert "EST" in details or "EDT" in details
