"""Business days never stack two reminders for one invoice on one day (through the engine)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.settings import Settings
from services import timeline
from services.unit_of_work import AppState, unit_of_work
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

NEW_YORK = ZoneInfo("America/New_York")


async def test_two_reminders_shifted_onto_one_monday_send_only_the_later_one(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session, business_days_only=True)
    today = (await cadence.now()).astimezone(NEW_YORK).date()
    # A Thursday at least three days ahead: +2 falls on Saturday (moved to Monday), +4 on Monday.
    due = today + timedelta(days=3)
    due += timedelta(days=(3 - due.weekday()) % 7)
    customer = await make_customer(session, name="Globex Corp")
    await make_contact(session, customer, email="ap@globex.example")
    await make_invoice(
        session,
        customer,
        number="INV-2001",
        due_date=due,
        issue_date=due - timedelta(days=30),
        total=Decimal("900.00"),
        balance_due=Decimal("900.00"),
    )
    template = await make_template(session)
    definition = await make_definition(
        session,
        steps=[{"offset_days": o, "action": "customer_email", "template_id": template.id} for o in (0, 2, 4)],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()

    state = AppState(
        settings=Settings(), sessions=cadence.sessions, temporal=cadence.client, task_queue=cadence.task_queue
    )
    assert enrollment.id is not None
    async with unit_of_work(state) as uow:
        shown = await timeline.upcoming(uow, enrollment.id, 5)
    assert [(i.step_position, i.merged) for i in shown.items] == [
        (1, None),
        (
            3,
            f"Step 2 merged into step 3: both fell on {(due + timedelta(days=4)).strftime('%a %d %b %Y')} "
            "after the business-day shift (weekends and holidays)",
        ),
    ]

    handle = await cadence.start(enrollment, definition)
    await cadence.advance(handle, timedelta(days=(due - today).days + 8))

    monday = due + timedelta(days=4)
    sent = [d.sent_at.astimezone(NEW_YORK).date() for d in await cadence.deliveries(customer.id)]
    assert sent == [due, monday]  # one reminder on Monday, not two
    history = await cadence.history(customer.id)
    merged = [h for h in history if h.description.startswith("Step 2 merged into step 3")]
    assert len(merged) == 1
    assert merged[0].action == "step_skipped"
    assert monday.strftime("%a %d %b %Y") in merged[0].description
    assert "INV-2001" in merged[0].description
    assert len([h for h in history if h.action == "message_sent"]) == 2
