"""A hostile template that reached the database without the API's checks (an import, an old
version) is stopped again at render time: that step fails with the reason, nothing is sent for
it, and the cadence goes on."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
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


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ customer.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
        ("{% for i in range(10**9) %}x{% endfor %}", "limited to 10,000"),
        ("{% for i in range(9000) %}{{ 'x' * 100 }}{% endfor %}", "output"),
    ],
    ids=["escape", "unbounded-loop", "huge-output"],
)
async def test_a_hostile_template_is_stopped_at_render_time(
    session: AsyncSession, cadence: Engine, source: str, reason: str
) -> None:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today + timedelta(days=3))
    hostile = await make_template(session, name="Hostile", text_body=source)
    definition = await make_definition(
        session,
        steps=[
            {"offset_days": 0, "action": "customer_email", "template_id": hostile.id},
            {"offset_days": 7, "action": "customer_email"},
        ],
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    handle = await cadence.start(enrollment, definition)

    await cadence.advance(handle, timedelta(days=11))

    history = await cadence.history(customer.id)
    (failed,) = [h for h in history if h.action == "step_failed"]
    assert "Hostile" in failed.description and reason in failed.description.lower(), failed.description
    outbox = await cadence.outbox(customer.id)
    assert len(outbox) == 1 and "Hostile" not in (outbox[0].subject or "")
