"""Auto-pay, whole: a customer switched to auto-pay (PATCH or sync) moves to the auto-pay
workflow and gets the auto-pay notice with its payment date; switched off, it returns to the
default workflow. Both moves are in the history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, Enrollment, User, WorkflowDefinition
from models.settings import Settings
from services import customer_sync, customers
from services.schemas.customers import CustomerCreate, CustomerUpdate
from services.unit_of_work import AppState, unit_of_work
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_user,
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow

NY = ZoneInfo("America/New_York")


def _state(cadence: Engine) -> AppState:
    return AppState(
        settings=Settings(), sessions=cadence.sessions, temporal=cadence.client, task_queue=cadence.task_queue
    )


async def _dunned_customer(
    session: AsyncSession, cadence: Engine
) -> tuple[Customer, WorkflowDefinition, WorkflowDefinition, Enrollment, User]:
    today = (await cadence.now()).astimezone(NY).date()
    dunning = await make_definition(
        session, name="Net 30 dunning", steps=[{"offset_days": 30, "action": "customer_email"}]
    )
    autopay = await make_definition(
        session,
        name="Auto-pay notices",
        kind="autopay",
        steps=[{"offset_days": -3, "action": "customer_email"}],
    )
    await make_org(session, default_definition_id=dunning.id, autopay_definition_id=autopay.id)
    customer = await make_customer(session, name="Globex Corp", external_id="QB-77")
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(
        session,
        customer,
        number="INV-AP1",
        issue_date=today - timedelta(days=10),
        due_date=today + timedelta(days=20),
        scheduled_payment_date=today + timedelta(days=10),
        total=Decimal("120.00"),
        balance_due=Decimal("120.00"),
    )
    enrollment = await make_enrollment(session, customer, dunning, anchor_date=today)
    admin = await make_user(session, role="admin", email="admin@acme.example")
    await session.commit()
    return customer, dunning, autopay, enrollment, admin


async def test_a_customer_switched_to_autopay_by_patch_moves_to_the_autopay_workflow_and_gets_its_notice(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, dunning, autopay, enrollment, admin = await _dunned_customer(session, cadence)
    handle = await cadence.start(enrollment, dunning)
    assert customer.id is not None

    async with unit_of_work(_state(cadence)) as uow:
        await customers.update_customer(uow, customer.id, CustomerUpdate(autopay=True), admin)
    await cadence.wait_for(handle, lambda s: s.definition_id == autopay.id)

    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.definition_id == autopay.id
    moved = [
        h
        for h in await cadence.history(customer.id)
        if h.action == "workflow_reassigned" and h.description.endswith(("switched on", "switched off"))
    ]
    assert [h.description for h in moved] == [
        "Reassigned to 'Auto-pay notices' by admin@acme.example: auto-pay switched on"
    ]

    await cadence.advance(handle, timedelta(days=9))
    (notice,) = await cadence.outbox(customer.id)
    today = (await cadence.now()).astimezone(NY).date()
    pay_on = today + timedelta(days=1)  # 9 days on, the payment is tomorrow
    assert notice.subject is not None
    assert notice.subject.startswith("Upcoming automatic payment for invoice INV-AP1 on ")
    assert pay_on.strftime("%B") in notice.subject and str(pay_on.day) in notice.subject
    assert "will be taken on" in notice.text_body
    assert "$120.00" in notice.text_body


async def test_a_customer_switched_off_autopay_by_the_sync_returns_to_the_default_workflow(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, dunning, autopay, enrollment, admin = await _dunned_customer(session, cadence)
    handle = await cadence.start(enrollment, dunning)
    batch = [CustomerCreate(external_id="QB-77", name="Globex Corp", autopay=True)]
    async with unit_of_work(_state(cadence)) as uow:
        await customer_sync.sync_customers(uow, batch, admin)
    await cadence.wait_for(handle, lambda s: s.definition_id == autopay.id)

    batch = [CustomerCreate(external_id="QB-77", name="Globex Corp", autopay=False)]
    async with unit_of_work(_state(cadence)) as uow:
        await customer_sync.sync_customers(uow, batch, admin)
    status = await cadence.wait_for(handle, lambda s: s.definition_id == dunning.id)
    assert status is not None

    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert row.definition_id == dunning.id
    assert customer.id is not None
    moved = [
        h.description
        for h in await cadence.history(customer.id)
        if h.action == "workflow_reassigned" and h.description.endswith(("switched on", "switched off"))
    ]
    assert moved == [
        "Reassigned to 'Auto-pay notices' by admin@acme.example: auto-pay switched on",
        "Reassigned to 'Net 30 dunning' by admin@acme.example: auto-pay switched off",
    ]
    final = await handle.query(EnrollmentWorkflow.status)
    assert final.definition_name == "Net 30 dunning"
