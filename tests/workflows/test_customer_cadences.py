"""Statements on a frequency: weekly with conditions, monthly on the last Friday, paused invoices."""

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
)
from tests.workflows.conftest import Engine
from workflows.enrollment import EnrollmentWorkflow

NY = ZoneInfo("America/New_York")


async def test_weekly_statement_on_tuesdays_is_skipped_with_its_reason_until_overdue_reaches_500(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(
        session, customer, number="INV-A", due_date=today - timedelta(days=10), balance_due=Decimal("300")
    )
    await make_invoice(
        session, customer, number="INV-B", due_date=today + timedelta(days=20), balance_due=Decimal("1000")
    )
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "weekly", "weekday": 1},
        conditions=[{"metric": "overdue", "operator": "gte", "value": "500"}],
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=8))
    assert await cadence.outbox(customer.id) == []
    skipped = [h for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    assert len(skipped) == 1
    assert "Overdue >= 500.00 USD (was 300.00 USD)" in skipped[0].description
    status = await handle.query(EnrollmentWorkflow.status)
    assert "Overdue >= 500.00 USD" in (status.last_skip_reason or "")

    now = (await cadence.now()).astimezone(NY).date()
    await make_invoice(
        session, customer, number="INV-C", due_date=now - timedelta(days=1), balance_due=Decimal("400")
    )
    await make_invoice(
        session,
        customer,
        number="INV-D",
        due_date=now - timedelta(days=3),
        balance_due=Decimal("50"),
        paused=True,
    )
    await session.commit()
    await cadence.advance(handle, timedelta(days=7))

    outbox = await cadence.outbox(customer.id)
    assert len(outbox) == 1
    body = outbox[0].text_body
    assert "INV-A" in body and "INV-B" in body and "INV-C" in body
    assert "INV-D" not in body  # paused: left out of the statement…
    sent = [h for h in await cadence.history(customer.id) if h.action == "message_sent"]
    assert "Overdue >= 500.00 USD (was 750.00 USD)" in sent[0].details["conditions"]  # …but counted
    deliveries = await cadence.deliveries(customer.id)
    assert [d.sent_at.astimezone(NY).weekday() for d in deliveries] == [1]


async def test_monthly_statement_on_the_last_friday(session: AsyncSession, cadence: Engine) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=15))
    definition = await make_definition(
        session,
        kind="customer",
        frequency={"period": "monthly", "weekday": 4, "week_of_month": -1},
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=70))

    dates = [d.sent_at.astimezone(NY).date() for d in await cadence.deliveries(customer.id)]
    assert len(dates) >= 2
    for sent in dates:
        assert sent.weekday() == 4
        assert (sent + timedelta(days=7)).month != sent.month  # the last Friday of its month
