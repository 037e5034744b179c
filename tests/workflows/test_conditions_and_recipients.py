"""Conditions over a customer hierarchy, the recipient cap, template errors: recorded, not fatal."""

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

NY = ZoneInfo("America/New_York")


async def test_consolidated_overdue_counts_the_whole_three_level_hierarchy(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    parent = await make_customer(session, name="Globex Holdings")
    child = await make_customer(session, name="Globex US", parent_id=parent.id)
    grandchild = await make_customer(session, name="Globex Ohio", parent_id=child.id)
    await make_contact(session, parent, email="ap@globex-holdings.example")
    await make_invoice(session, parent, due_date=today - timedelta(days=3), balance_due=Decimal("100"))
    await make_invoice(session, child, due_date=today - timedelta(days=9), balance_due=Decimal("250"))
    await make_invoice(session, grandchild, due_date=today - timedelta(days=30), balance_due=Decimal("800"))
    await make_invoice(session, grandchild, due_date=today + timedelta(days=30), balance_due=Decimal("5000"))
    definition = await make_definition(
        session,
        kind="assignment",
        conditions=[
            {"metric": "consolidated_overdue", "operator": "gte", "value": "1000"},
            {"metric": "overdue", "operator": "lt", "value": "500"},
        ],
        steps=[{"offset_days": 0, "action": "statement_email"}],
    )
    enrollment = await make_enrollment(session, parent, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    assert len(await cadence.outbox(parent.id)) == 1
    (sent,) = [h for h in await cadence.history(parent.id) if h.action == "message_sent"]
    assert sent.details["conditions"] == (
        "Consolidated overdue >= 1,000.00 USD (was 1,150.00 USD); Overdue < 500.00 USD (was 100.00 USD)"
    )


async def test_twenty_communication_contacts_get_fifteen_recipients_and_the_cut_is_recorded(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    for i in range(20):
        await make_contact(session, customer, email=f"ap{i:02d}@globex.example")
    await make_invoice(session, customer, due_date=today + timedelta(days=3))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=4))

    (message,) = await cadence.outbox(customer.id)
    assert message.to_addresses == [f"ap{i:02d}@globex.example" for i in range(15)]
    (sent,) = [h for h in await cadence.history(customer.id) if h.action == "message_sent"]
    assert sent.details["recipients_cut"] == [f"ap{i:02d}@globex.example" for i in range(15, 20)]
    assert "5 more cut" in sent.description


async def test_a_customer_without_any_address_is_skipped_with_a_clear_reason(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, roles=["billing"])
    await make_invoice(session, customer, due_date=today + timedelta(days=3))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    status = await cadence.advance(handle, timedelta(days=4))

    assert await cadence.outbox(customer.id) == []
    (skipped,) = [h for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    assert "No recipient" in skipped.description
    assert "No recipient" in (status.last_skip_reason or "")


async def test_a_template_error_fails_that_step_is_recorded_and_the_cadence_goes_on(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=3))
    broken = await make_template(session, name="Broken", text_body="You owe {{ invoice.amount_owed }}")
    definition = await make_definition(
        session,
        steps=[
            {"offset_days": 0, "action": "customer_email", "template_id": broken.id},
            {"offset_days": 7, "action": "customer_email"},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=11))

    history = await cadence.history(customer.id)
    (failed,) = [h for h in history if h.action == "step_failed"]
    assert "Broken (text), line 1" in failed.description and "amount_owed" in failed.description
    assert len(await cadence.outbox(customer.id)) == 1  # the next step was sent all the same
