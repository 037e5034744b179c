"""Replies and the contact cap through the whole engine: a customer's reply pauses its
automatic messages until a person handles it (then the next reminder goes), and the cap holds a
message back across two workflows until the first allowed day — then sends it once, one per
allowed slot, never a burst."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.enums import HistoryAction, Role
from domain.replies import message_id
from models import Delivery, HistoryEntry, OutboxMessage, Task
from tests.api.conftest import Api
from tests.api.test_sendgrid_webhook import rows
from tests.workflows.test_automations import _own_workflow_ids, _skip  # noqa: F401

NY = ZoneInfo("America/New_York")
SEND_TIME = time(14, 30)


async def _waits(api: Api, workflow_id: str) -> None:
    """Until the enrollment sleeps (its activities are done) or has ended."""

    async def settled() -> bool:
        if not await api.workflow_running(workflow_id):
            return True
        metadata = await api.env.client.get_workflow_handle(workflow_id).query("__temporal_workflow_metadata")
        return bool(metadata.current_details.startswith(("Waiting", "Paused")))

    await api.eventually(settled, timeout=20)


async def _skip_to(api: Api, workflow_id: str, day: date, at: time = time(15, 0)) -> None:
    """On to `at` (New York) on `day`, then until the enrollment sleeps again."""
    await _waits(api, workflow_id)
    target = datetime.combine(day, at, NY)
    now = await api.env.get_current_time()
    if target > now:
        await _skip(api, target - now)
        await asyncio.sleep(0.2)
    await _waits(api, workflow_id)


async def _sent(api: Api, customer_id: int) -> list[Delivery]:
    return [d for d in await rows(api, Delivery, customer_id=customer_id) if d.sent_at is not None]


async def _history(api: Api, customer_id: int, action: HistoryAction) -> list[HistoryEntry]:
    return [h for h in await rows(api, HistoryEntry, customer_id=customer_id) if h.action == action]


async def _reply(api: Api, secret: str, **fields: str) -> dict[str, Any]:
    form = {"from": "Jane <ap@globex.example>", "to": "collections@acme.example", "subject": "Re: INV-1042"}
    response = await api.http.post(
        f"/webhooks/sendgrid/inbound/{secret}", data={**form, **fields}, files={"x": ("a.txt", b"a")}
    )
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def test_a_reply_pauses_the_customer_until_handled_and_the_next_reminder_then_goes(api: Api) -> None:
    today = await api.today()
    workflow = await api.workflow(
        steps=[
            {"offset_days": -10, "action": "customer_email"},
            {"offset_days": -3, "action": "customer_email"},
        ]
    )
    automation = await api.ok(
        "POST",
        "/automations",
        status=201,
        json={
            "name": "Replied: call back",
            "trigger": {"kind": "delivery_replied"},
            "actions": [{"kind": "task", "params": {"title": "Read the customer's reply"}}],
        },
    )
    await api.ok("POST", f"/workflows/{workflow['id']}/automations", json={"automation_id": automation["id"]})
    customer = await api.customer()
    await api.invoice(due_in_days=10)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    wid = enrollment["workflow_id"]
    await _skip_to(api, wid, today)
    (first,) = await _sent(api, customer["id"])

    secret = (await api.ok("GET", "/replies/inbound-address"))["path"].rpartition("/")[2]
    token = message_id(secret, first.id, "ar@acme.example")
    receipt = await _reply(api, secret, headers=f"In-Reply-To: {token}\nReferences: {token}\n")
    assert receipt["matched_by"] == "token" and receipt["delivery_id"] == first.id and receipt["paused"]

    async def replied_and_paused() -> bool:
        handle = api.env.client.get_workflow_handle(wid)
        status = await handle.query("status")
        tasks = await rows(api, Task, customer_id=customer["id"])
        return bool(status["paused"]) and [t.title for t in tasks] == ["Read the customer's reply"]

    await api.eventually(replied_and_paused, timeout=20)
    # The second reminder's day passes while the reply waits: nothing reaches the customer.
    await _skip_to(api, wid, today + timedelta(days=5))
    assert len(await _sent(api, customer["id"])) == 1

    handled = await api.ok("POST", f"/replies/{receipt['id']}/handle", Role.SUPPORT, json={"note": "Paid"})
    assert handled["resumed"] is True
    await api.eventually(lambda: _signalled_resume(api, wid), timeout=20)
    await _skip_to(api, wid, today + timedelta(days=7))
    sent = await _sent(api, customer["id"])
    assert len(sent) == 2 and sent[1].occurrence_key != first.occurrence_key
    history = [h.action for h in await rows(api, HistoryEntry, customer_id=customer["id"])]
    for action in (
        HistoryAction.REPLY_RECEIVED,
        HistoryAction.CUSTOMER_PAUSED,
        HistoryAction.AUTOMATION_FIRED,
        HistoryAction.REPLY_HANDLED,
        HistoryAction.CUSTOMER_RESUMED,
    ):
        assert action in history, action


async def _signalled_resume(api: Api, workflow_id: str) -> bool:
    return "resume" in await api.signals(workflow_id)


async def test_the_cap_defers_a_message_across_two_workflows_to_the_first_allowed_day_then_one_per_slot(
    api: Api,
) -> None:
    await api.ok("PUT", "/settings", json={"name": "Acme", "contact_cap_count": 1, "contact_cap_days": 7})
    today = await api.today()
    first_workflow = await api.workflow(name="A", steps=[{"offset_days": -10, "action": "customer_email"}])
    second_workflow = await api.workflow(
        name="B",
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "customer_email"},
            {"offset_days": 1, "action": "customer_email"},
        ],
    )
    customer = await api.customer()
    await api.invoice(due_in_days=10)
    enrollment = await api.enroll(customer["id"], first_workflow["id"])
    wid = enrollment["workflow_id"]
    await _skip_to(api, wid, today)
    assert len(await _sent(api, customer["id"])) == 1

    # Two days later the customer moves to B, whose first two steps fall inside the window.
    await _skip_to(api, wid, today + timedelta(days=2), time(9, 0))
    await api.ok(
        "POST", f"/enrollments/{enrollment['id']}/reassign", json={"definition_id": second_workflow["id"]}
    )
    await _skip_to(api, wid, today + timedelta(days=3))
    assert len(await _sent(api, customer["id"])) == 1
    deferred = await _history(api, customer["id"], HistoryAction.STEP_DEFERRED)
    allowed = datetime.combine(today + timedelta(days=7), SEND_TIME, NY)
    assert len(deferred) == 2
    for entry in deferred:
        assert "by the contact cap (at most 1 message in 7 days" in entry.description
        assert datetime.fromisoformat(entry.details["deferred_until"]) >= allowed
    status = await api.env.client.get_workflow_handle(wid).query("status")
    assert "held back by the contact cap" in status["details"]

    # The first allowed day: exactly one goes; the other is held back to the next slot.
    await _skip_to(api, wid, today + timedelta(days=6))
    assert len(await _sent(api, customer["id"])) == 1
    await _skip_to(api, wid, today + timedelta(days=7))
    sent = await _sent(api, customer["id"])
    assert len(sent) == 2 and sent[1].sent_at is not None
    assert sent[1].sent_at.astimezone(NY).date() == today + timedelta(days=7)
    await _skip_to(api, wid, today + timedelta(days=14))
    sent = await _sent(api, customer["id"])
    assert [d.sent_at.astimezone(NY).date() for d in sent if d.sent_at] == [
        today,
        today + timedelta(days=7),
        today + timedelta(days=14),
    ]
    assert len({d.idempotency_key for d in sent}) == 3
    outbox = await rows(api, OutboxMessage)
    assert len(outbox) == 3  # nothing sent twice, nothing dropped
