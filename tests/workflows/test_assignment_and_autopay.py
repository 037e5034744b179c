"""Assignment cadences (email, task, SMS, status change) that continue; auto-pay notices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Enrollment, Invoice, Task
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

NY = ZoneInfo("America/New_York")


async def test_assignment_cadence_runs_four_kinds_of_step_then_continues_with_another(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    specialist = await make_user(session, name="Sam Specialist")
    customer = await make_customer(session, specialist_id=specialist.id)
    await make_contact(session, customer, email="ap@globex.example", phone="+14155550100")
    invoice = await make_invoice(session, customer, due_date=today - timedelta(days=20))
    follow_up = await make_definition(
        session,
        kind="assignment",
        steps=[{"offset_days": 2, "action": "note", "parameters": {"text": "Escalated"}}],
    )
    definition = await make_definition(
        session,
        kind="assignment",
        continue_with_id=follow_up.id,
        steps=[
            {"offset_days": 0, "action": "customer_email", "parameters": {"template": "customer_statement"}},
            {"offset_days": 3, "action": "task", "parameters": {"title": "Call accounts payable"}},
            {"offset_days": 7, "action": "sms"},
            {"offset_days": 10, "action": "set_invoice_status", "parameters": {"status": "on_hold"}},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=16))

    outbox = await cadence.outbox(customer.id)
    assert [m.channel for m in outbox] == ["email", "sms"]
    assert outbox[1].to_addresses == ["+14155550100"]
    tasks = await cadence.rows(Task, Task.customer_id == customer.id)
    assert [(t.title, t.assignee_id, t.status) for t in tasks] == [
        ("Call accounts payable", specialist.id, "open")
    ]
    (reloaded,) = await cadence.rows(Invoice, Invoice.id == invoice.id)
    assert (reloaded.status, reloaded.collection_status) == ("open", "on_hold")
    actions = [h.action for h in await cadence.history(customer.id)]
    assert "workflow_continued" in actions
    assert actions[-1] == "enrollment_completed"
    notes = [h for h in await cadence.history(customer.id) if h.description == "Note: Escalated"]
    assert len(notes) == 1
    (row,) = await cadence.rows(Enrollment, Enrollment.id == enrollment.id)
    assert (row.definition_id, row.state) == (follow_up.id, "completed")
    assert row.ended_at is not None


async def test_autopay_pre_debit_notice_three_days_before_the_payment_date(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session, autopay=True, autopay_anchor="due_date")
    await make_contact(session, customer)
    pay_on: date = today + timedelta(days=12)
    await make_invoice(
        session,
        customer,
        number="INV-AP",
        due_date=today + timedelta(days=30),
        scheduled_payment_date=pay_on,
        balance_due=Decimal("99.00"),
    )
    definition = await make_definition(
        session,
        kind="autopay",
        steps=[
            {"offset_days": -3, "action": "customer_email", "parameters": {"template": "reminder_before_due"}}
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=14))

    deliveries = await cadence.deliveries(customer.id)
    assert [d.sent_at.astimezone(NY).date() for d in deliveries] == [pay_on - timedelta(days=3)]
