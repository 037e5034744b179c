"""SendGrid answering 429 and 500 before 200 sends one email; a 400 is a recorded failure that
is not retried, and the cadence goes on to its next step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.channels.sendgrid_email import SendGridEmailChannel
from models import HistoryEntry
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.faults.conftest import report
from tests.faults.provider_stub import provider_stub
from tests.workflows.conftest import Engine

NY = ZoneInfo("America/New_York")


async def _reminders(session: AsyncSession, cadence: Engine, offsets: list[int]) -> Any:
    await make_org(session)
    today = (await cadence.now()).astimezone(NY).date()
    customer = await make_customer(session)
    await make_contact(session, customer)
    await make_invoice(session, customer, due_date=today)
    definition = await make_definition(
        session, steps=[{"offset_days": days, "action": "customer_email"} for days in offsets]
    )
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()
    return customer, definition, enrollment


def busy_then_accept(_delivery: str, attempt: int) -> tuple[int, dict[str, Any]]:
    if attempt == 1:
        return 429, {"errors": [{"message": "too many requests"}]}
    if attempt == 2:
        return 500, {"errors": [{"message": "internal error"}]}
    return 202, {}


async def test_a_busy_then_failing_provider_gets_one_email_in_the_end(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _reminders(session, cadence, [0])
    with provider_stub(busy_then_accept) as stub:
        channel = SendGridEmailChannel("SG.fault-test", base_url=stub.url)
        async with cadence.worker(email=channel) as engine:
            handle = await engine.start(enrollment, definition)
            await engine.advance(handle, timedelta(days=1))

    (delivery,) = await cadence.deliveries(customer.id)
    assert [r["status"] for r in stub.requests] == [429, 500, 202]
    assert stub.accepted == {str(delivery.id): 1}
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert delivery.provider_message_id
    actions = [h.action for h in await cadence.history(customer.id)]
    assert actions.count("message_sent") == 1
    report(
        "provider_busy", requests=len(stub.requests), accepted=stub.accepted_total, attempts=delivery.attempts
    )


async def test_a_refused_message_is_recorded_not_retried_and_the_cadence_goes_on(
    session: AsyncSession, cadence: Engine
) -> None:
    customer, definition, enrollment = await _reminders(session, cadence, [0, 3])
    refused: set[str] = set()

    def refuse_the_first(delivery: str, _attempt: int) -> tuple[int, dict[str, Any]]:
        if not refused or delivery in refused:
            refused.add(delivery)
            return 400, {"errors": [{"message": "Does not contain a valid address.", "field": "to"}]}
        return 202, {}

    with provider_stub(refuse_the_first) as stub:
        channel = SendGridEmailChannel("SG.fault-test", base_url=stub.url)
        async with cadence.worker(email=channel) as engine:
            handle = await engine.start(enrollment, definition)
            await engine.advance(handle, timedelta(days=4))

    first, second = sorted(await cadence.deliveries(customer.id), key=lambda d: d.id or 0)
    # The 400 was asked once: a refusal is final, retrying would not change the answer.
    assert [r["status"] for r in stub.requests] == [400, 202]
    assert (first.status, first.attempts) == ("failed", 1)
    assert "valid address" in (first.last_error or "")
    assert second.status == "sent"
    history = await cadence.rows(
        HistoryEntry, HistoryEntry.customer_id == customer.id, order_by=col(HistoryEntry.occurred_at)
    )
    not_sent = [h for h in history if h.action == "message_not_sent"]
    assert len(not_sent) == 1 and "valid address" in not_sent[0].description
    assert [h.action for h in history].count("message_sent") == 1
    report("provider_refused", requests=len(stub.requests), failed=1, next_step_sent=second.status == "sent")
