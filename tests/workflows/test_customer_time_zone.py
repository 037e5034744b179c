"""The customer's own time zone: its messages go at the organization's send time where the
customer lives, DST-correct, and what it waits for names both local times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import ContactRole
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import Engine

TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")


async def test_a_customer_in_tokyo_and_one_in_london_each_hear_at_1430_their_own_time(
    session: AsyncSession, cadence: Engine
) -> None:
    await make_org(session, time_zone="America/New_York", send_time=time(14, 30))
    due = (await cadence.now()).astimezone(UTC).date() + timedelta(days=3)
    tokyo = await make_customer(session, name="Tokyo KK", time_zone="Asia/Tokyo")
    await make_contact(session, tokyo)
    london = await make_customer(session, name="London Ltd")
    # London's zone comes from its primary contact: the customer row names none.
    await make_contact(
        session,
        london,
        roles=[ContactRole.COMMUNICATION.value, ContactRole.PRIMARY.value],
        time_zone="Europe/London",
    )
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    handles = {}
    for customer in (tokyo, london):
        await make_invoice(session, customer, due_date=due)
        enrollment = await make_enrollment(session, customer, definition, anchor_date=due - timedelta(days=3))
        await session.commit()
        handles[customer.name] = await cadence.start(enrollment, definition)

    tokyo_at = datetime.combine(due, time(14, 30), tzinfo=TOKYO).astimezone(UTC)
    london_at = datetime.combine(due, time(14, 30), tzinfo=LONDON).astimezone(UTC)
    for name, expected in (("Tokyo KK", tokyo_at), ("London Ltd", london_at)):
        status = await cadence.settle(handles[name])
        assert status is not None and status.next_step_at == expected
        # What it waits for says the customer's time and the organization's beside it.
        assert "organization time" in status.next_step and "EST" in status.next_step

    # Half an hour after Tokyo's send time: Tokyo has its reminder, London (nine hours later) not.
    await cadence.env.sleep(tokyo_at + timedelta(minutes=30) - await cadence.now())
    for handle in handles.values():
        await cadence.settle(handle)
    assert len(await cadence.outbox(require(tokyo.id))) == 1
    assert await cadence.outbox(require(london.id)) == []

    await cadence.env.sleep(london_at + timedelta(minutes=30) - await cadence.now())
    for handle in handles.values():
        await cadence.settle(handle)
    for customer, expected in ((tokyo, tokyo_at), (london, london_at)):
        assert len(await cadence.outbox(require(customer.id))) == 1  # once each, never twice
        (sent,) = [h for h in await cadence.history(require(customer.id)) if h.action == "message_sent"]
        assert expected <= sent.occurred_at < expected + timedelta(minutes=5)


def require(value: int | None) -> int:
    assert value is not None
    return value
