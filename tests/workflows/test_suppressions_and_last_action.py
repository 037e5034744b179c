"""Through the engine: a suppressed address is never written to again, whoever it belongs to;
the customer's Last Action is a send or a person's action, never a skip; the history tells a
customer email from an internal notification and names the conditions a send met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer, Suppression
from tests.builders import (
    add,
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

NY = ZoneInfo("America/New_York")
STATEMENT: dict[str, Any] = {"offset_days": 0, "action": "statement_email"}
BOUNCED = "bounce: 550 5.1.1 no such user"


async def _suppress(session: AsyncSession, address: str) -> None:
    since = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    await add(session, Suppression(address=address, source="bounce", reason=BOUNCED, since=since))


async def _customer_row(cadence: Engine, customer_id: int) -> Customer:
    (row,) = await cadence.rows(Customer, Customer.id == customer_id)
    return row


async def test_suppressed_additional_recipient_is_never_written_to(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    await _suppress(session, "cfo@partner.example")
    definition = await make_definition(
        session,
        kind="assignment",
        additional_recipients={"emails": ["CFO@Partner.example"]},
        steps=[STATEMENT],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    (message,) = await cadence.outbox(customer.id)
    assert message.to_addresses == ["ap@globex.example"]
    (sent,) = [h for h in await cadence.history(customer.id) if h.action == "message_sent"]
    assert sent.details["recipients_rejected"] == [
        {"address": "CFO@Partner.example", "reason": f"suppressed since 2026-11-02: {BOUNCED}"}
    ]


async def test_a_suppressed_contact_left_alone_skips_the_message_with_the_reason(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="AP@globex.example")
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    await _suppress(session, "ap@globex.example")
    definition = await make_definition(session, kind="assignment", steps=[STATEMENT])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    assert await cadence.outbox(customer.id) == []
    (skipped,) = [h for h in await cadence.history(customer.id) if h.action == "step_skipped"]
    assert "No recipient" in skipped.description
    assert f"AP@globex.example (suppressed since 2026-11-02: {BOUNCED})" in skipped.description
    assert (await _customer_row(cadence, customer.id)).last_action is None  # a skip is no action


async def test_suppressed_internal_user_gets_no_internal_notification(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    specialist = await make_user(session, email="sam@acme.example")
    colleague = await make_user(session, name="Kim Keeper", email="kim@acme.example")
    customer = await make_customer(session, specialist_id=specialist.id)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    await _suppress(session, "sam@acme.example")
    definition = await make_definition(
        session,
        kind="assignment",
        internal_recipients=[colleague.id],
        steps=[{"offset_days": 0, "action": "internal_notification"}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=2))

    (message,) = await cadence.outbox(customer.id)
    assert message.to_addresses == ["kim@acme.example"]
    history = await cadence.history(customer.id)
    # Told apart from a customer email, and not the customer's Last Action.
    # (The engine's own "enrollment completed" that follows is not a Last Action either.)
    assert [h.action for h in history] == ["internal_notification_sent", "enrollment_completed"]
    assert history[0].details["recipients_rejected"][0]["address"] == "sam@acme.example"
    assert (await _customer_row(cadence, customer.id)).last_action is None


async def test_last_action_is_the_send_never_the_skip_and_the_send_names_the_conditions_met(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    definition = await make_definition(
        session,
        kind="assignment",
        conditions=[{"metric": "outstanding", "operator": "gte", "value": "100"}],
        steps=[
            STATEMENT,
            {
                **STATEMENT,
                "offset_days": 2,
                "conditions": [{"metric": "outstanding", "operator": "gte", "value": "1000000"}],
            },
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=5))

    history = await cadence.history(customer.id)
    assert [h.action for h in history] == ["message_sent", "step_skipped", "enrollment_completed"]
    sent = history[0]
    assert "conditions met: Outstanding >= 100.00 USD (was 1,200.00 USD)" in sent.description
    row = await _customer_row(cadence, customer.id)
    # The later skip (nor the completion) did not take the Last Action: the statement is it.
    assert row.last_action == sent.description[:500]
    assert row.last_action_by == "arcadence" and row.last_action_at == sent.occurred_at


async def test_a_failed_step_stays_in_the_history_and_does_not_take_the_last_action(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(session, customer, due_date=today - timedelta(days=5))
    broken = await make_template(session, name="Broken", text_body="You owe {{ invoice.amount_owed }}")
    definition = await make_definition(
        session,
        kind="assignment",
        steps=[STATEMENT, {"offset_days": 2, "action": "customer_email", "template_id": broken.id}],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today + timedelta(days=1))
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=5))

    history = await cadence.history(customer.id)
    assert [h.action for h in history][:2] == ["message_sent", "step_failed"]
    assert (await _customer_row(cadence, customer.id)).last_action == history[0].description[:500]
