"""Invoice cadences send each reminder once, at the organization's send time, on the right date."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
    make_template,
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import RefreshSignal

NEW_YORK = ZoneInfo("America/New_York")
OFFSETS = [-3, 0, 7, 14, 30]


async def _invoice_cadence(session: AsyncSession, cadence: Engine, *, due_in_days: int = 5):
    await make_org(session)
    today = (await cadence.now()).astimezone(NEW_YORK).date()
    customer = await make_customer(session, name="Globex Corp")
    await make_contact(session, customer, email="ap@globex.example")
    invoice = await make_invoice(
        session,
        customer,
        number="INV-1042",
        due_date=today + timedelta(days=due_in_days),
        issue_date=today - timedelta(days=25),
        total=Decimal("2340.50"),
        balance_due=Decimal("2340.50"),
    )
    template = await make_template(session)
    definition = await make_definition(
        session,
        steps=[{"offset_days": o, "action": "customer_email", "template_id": template.id} for o in OFFSETS],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    return customer, invoice, definition, enrollment


async def test_five_reminders_at_half_past_two_new_york_on_the_right_dates(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, invoice, definition, enrollment = await _invoice_cadence(session, cadence)
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=45))

    deliveries = await cadence.deliveries(customer.id)
    assert [d.status for d in deliveries] == ["sent"] * 5
    local = [d.sent_at.astimezone(NEW_YORK) for d in deliveries]
    assert [(t.hour, t.minute) for t in local] == [(14, 30)] * 5
    assert [t.date() for t in local] == [invoice.due_date + timedelta(days=o) for o in OFFSETS]
    outbox = await cadence.outbox(customer.id)
    assert len(outbox) == 5
    assert all(m.to_addresses == ["ap@globex.example"] for m in outbox)
    assert outbox[0].subject == "Invoice INV-1042 for Globex Corp"
    sent_entries = [h for h in await cadence.history(customer.id) if h.action == "message_sent"]
    assert len(sent_entries) == 5


async def test_an_invoice_paid_after_the_third_reminder_gets_nothing_more_even_without_a_refresh(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, invoice, definition, enrollment = await _invoice_cadence(session, cadence, due_in_days=4)
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=12))
    assert len(await cadence.outbox(customer.id)) == 3  # -3, due date and +7

    invoice.status = "paid"
    invoice.balance_due = Decimal("0")
    session.add(invoice)
    await session.commit()
    # No refresh signal: the next wake re-reads the invoice and sends nothing.
    await cadence.advance(handle, timedelta(days=30))

    assert len(await cadence.outbox(customer.id)) == 3
    status = await handle.query(EnrollmentWorkflow.status)
    assert status.next_step_at is None
    assert status.details.startswith("Waiting for new invoices")


async def test_an_invoice_paid_with_a_refresh_signal_is_dropped_from_the_plan_at_once(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, invoice, definition, enrollment = await _invoice_cadence(session, cadence, due_in_days=4)
    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=12))

    invoice.status = "paid"
    invoice.balance_due = Decimal("0")
    session.add(invoice)
    await session.commit()
    await handle.signal(EnrollmentWorkflow.refresh, RefreshSignal(reason="INV-1042 paid"))
    status = await cadence.wait_for(handle, lambda s: s.next_step_at is None)

    assert status.details.startswith("Waiting for new invoices")
    await cadence.advance(handle, timedelta(days=30))
    assert len(await cadence.outbox(customer.id)) == 3
