"""A late enrollment keeps its first step: enrolled after today's send time, today's step is
performed at once, never classed as missed (missed means missed while enrolled)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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

NY = ZoneInfo("America/New_York")


async def _send_time_passed_an_hour_ago(session: AsyncSession, cadence: Engine) -> datetime:
    """The organization sends at a time of day that passed an hour ago (or at 00:00 just after
    midnight), so whatever the clock says, enrolling now is enrolling late."""
    now = (await cadence.now()).astimezone(NY)
    earlier = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    await make_org(session, send_time=time(earlier.hour, earlier.minute))
    return now


async def test_an_assignment_enrolled_after_todays_send_time_performs_its_initial_step_at_once(
    session: AsyncSession, cadence: Engine
) -> None:
    now = await _send_time_passed_an_hour_ago(session, cadence)
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=now.date() - timedelta(days=10))
    definition = await make_definition(
        session,
        kind="assignment",
        catch_up="skip",
        steps=[
            {"offset_days": 0, "action": "customer_email", "parameters": {"template": "customer_statement"}},
            {"offset_days": 3, "action": "task", "parameters": {"title": "Call"}},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=now.date())
    await session.commit()
    await cadence.start(enrollment, definition)  # settles: the first plan has run

    assert len(await cadence.outbox(customer.id)) == 1  # sent now, not tomorrow, not never
    actions = [h.action for h in await cadence.history(customer.id)]
    assert "steps_missed" not in actions
    assert "message_sent" in actions
    (sent,) = [h for h in await cadence.history(customer.id) if h.action == "message_sent"]
    assert "had passed: performed at once" in sent.description  # the history says why it is late


async def test_an_invoice_reminder_due_today_is_sent_to_a_customer_enrolled_after_send_time(
    session: AsyncSession, cadence: Engine
) -> None:
    now = await _send_time_passed_an_hour_ago(session, cadence)
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=now.date())
    definition = await make_definition(
        session,
        catch_up="skip",
        steps=[
            {"offset_days": -3, "action": "customer_email"},
            {"offset_days": 0, "action": "customer_email"},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=now.date())
    await session.commit()
    await cadence.start(enrollment, definition)

    assert len(await cadence.outbox(customer.id)) == 1  # today's reminder, once
    missed = [h for h in await cadence.history(customer.id) if h.action == "steps_missed"]
    assert len(missed) == 1 and "step 1" in missed[0].description  # three days ago: catch-up policy
