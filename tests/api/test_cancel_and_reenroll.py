"""Issue 15, rule 2: cancel then re-enroll always leaves a running cadence.

Through the API and a real worker on the time-skipping server: each enrollment has its own
workflow, so a re-enrollment never lands in the cancelled run, and the cancelled run (signalled
or not) ends without sending.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

import services.enrollments
from models import Delivery, HistoryEntry, OutboxMessage
from tests.api.conftest import Api

# One reminder, 3 days before the due date: with the invoice due in 10 days it fires in 7.
ONE_REMINDER: dict[str, Any] = {
    "name": "One reminder",
    "kind": "invoice",
    "steps": [{"offset_days": -3, "action": "customer_email"}],
}


async def _enrolled_customer(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    workflow = await api.workflow(**ONE_REMINDER)
    customer = await api.customer()
    await api.invoice(due_in_days=10)
    first = await api.enroll(customer["id"], workflow["id"])
    assert first["workflow_id"] == f"enrollment-{first['id']}"
    return workflow, customer, first


async def _waiting(api: Api, workflow_id: str) -> None:
    """Until the workflow has planned and sleeps on its timer."""

    async def waits() -> bool:
        handle = api.env.client.get_workflow_handle(workflow_id)
        metadata = await handle.query("__temporal_workflow_metadata")
        return bool(metadata.current_details.startswith("Waiting until"))

    await api.eventually(waits)


async def _days_pass(api: Api, days: int) -> None:
    for _ in range(days):
        await api.env.sleep(timedelta(days=1))
        await asyncio.sleep(0.2)  # the woken workflows run their activities


async def _sent(api: Api) -> list[tuple[OutboxMessage, Delivery]]:
    async with api.sessions() as session:
        query = select(OutboxMessage, Delivery).where(col(OutboxMessage.delivery_id) == col(Delivery.id))
        return list((await session.exec(query)).all())


async def _assert_one_send_by(api: Api, enrollment_id: int) -> None:
    async def sent_once() -> bool:
        return len(await _sent(api)) >= 1

    await api.eventually(sent_once, timeout=20)
    await asyncio.sleep(0.5)  # a second send, if there were one, would have happened by now
    sent = await _sent(api)
    assert len(sent) == 1, sent
    assert sent[0][1].enrollment_id == enrollment_id and sent[0][1].status == "sent"


async def test_cancel_then_re_enroll_back_to_back_leaves_one_running_cadence_that_sends_once(
    api: Api,
) -> None:
    workflow, customer, first = await _enrolled_customer(api)
    await _waiting(api, first["workflow_id"])

    await api.ok("POST", f"/enrollments/{first['id']}/cancel", json={"reason": "wrong cadence"})
    second = await api.enroll(customer["id"], workflow["id"])

    assert second["id"] != first["id"] and second["workflow_id"] == f"enrollment-{second['id']}"
    # Its own start signal, then the cancel: the re-enrollment signal-with-started its own run.
    assert await api.signals(first["workflow_id"]) == ["reassign", "cancel"]
    assert await api.signals(second["workflow_id"]) == ["reassign"]

    async def first_ended() -> bool:
        return not await api.workflow_running(first["workflow_id"])

    await api.eventually(first_ended)
    await _waiting(api, second["workflow_id"])
    await _days_pass(api, 8)

    await _assert_one_send_by(api, second["id"])
    assert await api.workflow_running(second["workflow_id"])
    status = await api.ok("GET", f"/enrollments/{second['id']}")
    assert status["workflow_error"] is None and status["workflow"]["state"] == "active"


async def test_cancel_with_its_signal_lost_then_re_enroll_leaves_one_running_cadence_that_sends_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow, customer, first = await _enrolled_customer(api)
    await _waiting(api, first["workflow_id"])

    with monkeypatch.context() as lost:
        # The cancel reaches Postgres only: its signal never leaves.
        lost.setattr(services.enrollments, "signal_after_commit", lambda *args, **kwargs: None)
        await api.ok("POST", f"/enrollments/{first['id']}/cancel", json={"reason": "wrong cadence"})
    second = await api.enroll(customer["id"], workflow["id"])

    assert await api.signals(first["workflow_id"]) == ["reassign"]  # only its start signal
    assert await api.workflow_running(first["workflow_id"])  # still asleep, knowing nothing
    await _waiting(api, second["workflow_id"])
    await _days_pass(api, 8)

    await _assert_one_send_by(api, second["id"])

    async def first_ended() -> bool:
        return not await api.workflow_running(first["workflow_id"])

    await api.eventually(first_ended)  # it woke, read Postgres, and stopped without sending
    assert await api.workflow_running(second["workflow_id"])
    async with api.sessions() as session:
        words = (
            await session.exec(
                select(HistoryEntry.description).where(HistoryEntry.enrollment_id == first["id"])
            )
        ).all()
    assert any("stopped without sending: the enrollment is cancelled" in w for w in words), words
