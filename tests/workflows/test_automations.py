"""Automations through the whole engine: events written by the API, the sync and the webhook
wake the enrollment, which performs the automations they trigger exactly once (step actions
through prepare / send / record), time triggers fire like steps, a "None" workflow only
escalates internally, and a webhook reaches the organization's HTTPS endpoint signed."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pytest_httpserver import HTTPServer
from sqlalchemy import text
from werkzeug import Request, Response

from activities.automations import SIGNATURE_HEADER, TIMESTAMP_HEADER
from domain.enums import HistoryAction, Role
from models import AutomationRun, Enrollment, Event, HistoryEntry, Invoice, OutboxMessage, Task
from tests.api.conftest import Api
from tests.workers.tls_proxy import Authority
from tests.workflows.conftest import HISTORIES

SECRET = "whsec-0123456789abcdef"


@pytest_asyncio.fixture(autouse=True)
async def _own_workflow_ids(api: Api, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Each test's enrollments get ids (and so workflow ids) no earlier test of the session used;
    with --record-histories, their histories are saved for the replay test."""
    async with api.sessions() as session:
        start = int.from_bytes(os.urandom(3), "big") + 1000
        await session.exec(text(f"ALTER SEQUENCE enrollment_id_seq RESTART WITH {start}"))  # type: ignore[call-overload]
        await session.commit()
    yield
    if request.config.getoption("--record-histories"):
        HISTORIES.mkdir(exist_ok=True)
        for index, row in enumerate(await _rows(api, Enrollment)):
            history = await api.env.client.get_workflow_handle(row.workflow_id).fetch_history()
            name = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower()).strip("_")
            (HISTORIES / f"{name}_{index}.json").write_text(history.to_json())


async def _history(api: Api, customer_id: int, action: HistoryAction) -> list[HistoryEntry]:
    async with api.sessions() as session:
        from sqlmodel import col, select

        query = (
            select(HistoryEntry)
            .where(HistoryEntry.customer_id == customer_id, HistoryEntry.action == action)
            .order_by(col(HistoryEntry.id))
        )
        return list((await session.exec(query)).all())


async def _await_history(
    api: Api, customer_id: int, action: HistoryAction, count: int = 1
) -> list[HistoryEntry]:
    async def enough() -> bool:
        return len(await _history(api, customer_id, action)) >= count

    await api.eventually(enough, timeout=20)
    return await _history(api, customer_id, action)


async def _waits(api: Api, workflow_id: str) -> None:
    """Until the workflow sleeps: its activities are done (time skips only then)."""

    async def waiting() -> bool:
        handle = api.env.client.get_workflow_handle(workflow_id)
        metadata = await handle.query("__temporal_workflow_metadata")
        return bool(metadata.current_details.startswith(("Waiting", "Paused")))

    await api.eventually(waiting, timeout=20)


async def _days_pass(api: Api, days: int, workflow_id: str) -> None:
    """A day at a time, letting the woken workflows run their activities (as the API tests do)."""
    await _waits(api, workflow_id)
    for _ in range(days):
        await _skip(api, timedelta(days=1))
        await asyncio.sleep(0.2)


async def _skip(api: Api, duration: timedelta) -> None:
    target = await api.env.get_current_time() + duration
    while (now := await api.env.get_current_time()) < target:
        # The time-skipping server at times holds a sleep call long after the skip is done:
        # a bounded wait, then the clock is read again.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.env.sleep(target - now), timeout=1)


async def _automation(api: Api, workflow_id: int, **body: Any) -> dict[str, Any]:
    created = await api.ok("POST", "/automations", status=201, json=body)
    await api.ok("POST", f"/workflows/{workflow_id}/automations", json={"automation_id": created["id"]})
    return created


async def _rows(api: Api, model: Any, *where: Any) -> list[Any]:
    from sqlmodel import select

    async with api.sessions() as session:
        return list((await session.exec(select(model).where(*where))).all())


async def test_pausing_a_customer_fires_its_automation_once_with_the_trigger_in_the_history(api: Api) -> None:
    workflow = await api.workflow()
    await _automation(
        api,
        workflow["id"],
        name="Paused: follow up",
        trigger={"kind": "customer_paused"},
        actions=[
            {"kind": "task", "params": {"title": "Check why the customer was paused"}},
            {"kind": "note", "params": {"text": "paused"}},
        ],
    )
    customer = await api.customer()
    await api.invoice()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "Promise to pay Friday"})

    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert fired[0].description.startswith("Automation 'Paused: follow up' fired on customer paused")
    assert "1. task: done" in fired[0].description and "2. note: done" in fired[0].description
    tasks = await _rows(api, Task, Task.customer_id == customer["id"])
    assert [t.title for t in tasks] == ["Check why the customer was paused"]
    # A pause stops messages to the customer, not the team's task: it was performed while paused.
    assert (await api.ok("GET", f"/customers/{customer['id']}"))["paused"] is True

    # Another wake-up (a refresh) performs nothing again: exactly once per event.
    await api.ok("POST", f"/customers/{customer['id']}/resume")
    await api.eventually(lambda: _signalled(api, enrollment["workflow_id"], "resume"))
    await _await_history(api, customer["id"], HistoryAction.CUSTOMER_RESUMED)
    await _skip(api, timedelta(hours=1))
    assert len(await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)) == 1
    assert len(await _rows(api, Task, Task.customer_id == customer["id"])) == 1
    events = await _rows(api, Event, Event.customer_id == customer["id"])
    assert {e.kind for e in events} >= {"enrolled", "customer_paused", "customer_resumed"}

    async def all_processed() -> bool:
        return all(
            e.processed_at is not None for e in await _rows(api, Event, Event.customer_id == customer["id"])
        )

    await api.eventually(all_processed)
    listed = await api.ok("GET", f"/customers/{customer['id']}/automations", Role.VIEWER)
    assert listed[0]["last_fired_at"] is not None


async def _signalled(api: Api, workflow_id: str, name: str) -> bool:
    return name in await api.signals(workflow_id)


async def test_a_partial_payment_fires_on_partly_paid_and_the_unmet_condition_is_recorded(api: Api) -> None:
    workflow = await api.workflow()
    await _automation(
        api,
        workflow["id"],
        name="Partly paid: note it",
        trigger={"kind": "invoice_paid", "payment": "partial"},
        actions=[{"kind": "note", "params": {"text": "partial payment"}}],
    )
    await _automation(
        api,
        workflow["id"],
        name="Big balance paid partly",
        trigger={"kind": "invoice_paid", "payment": "partial"},
        conditions=[{"metric": "outstanding", "operator": "gte", "value": "5000"}],
        actions=[{"kind": "task", "params": {"title": "Call about the rest"}}],
    )
    customer = await api.customer()
    invoice = await api.invoice()
    await api.enroll(customer["id"], workflow["id"])
    await api.invoice(balance_due="1000.00", due_date=invoice["due_date"], issue_date=invoice["issue_date"])

    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert fired[0].description.startswith(
        "Automation 'Partly paid: note it' fired on invoice paid partly (INV-1042)"
    )
    refused = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_NOT_FIRED)
    assert (
        "Outstanding >= 5,000.00" in refused[0].description or "Outstanding >= 5000" in refused[0].description
    )
    assert "(was" in refused[0].description
    assert await _rows(api, Task, Task.customer_id == customer["id"]) == []


async def test_a_lost_signal_is_caught_up_from_the_unprocessed_events_at_the_next_planning(api: Api) -> None:
    workflow = await api.workflow()
    await _automation(
        api,
        workflow["id"],
        name="Bounced: find an address",
        trigger={"kind": "delivery_bounced"},
        actions=[{"kind": "task", "params": {"title": "Find a working address"}}],
    )
    customer = await api.customer()
    await api.invoice()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    # The event is in Postgres, but nobody tells the workflow (a lost signal).
    async with api.sessions() as session:
        session.add(Event(customer_id=customer["id"], kind="delivery_bounced", actor="sendgrid"))
        await session.commit()
    await _days_pass(api, 2, enrollment["workflow_id"])  # the daily re-plan at the latest
    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert "delivery bounced" in fired[0].description
    assert [t.title for t in await _rows(api, Task, Task.customer_id == customer["id"])] == [
        "Find a working address"
    ]


async def test_days_after_due_holds_the_invoice_at_the_send_time_like_a_step(api: Api) -> None:
    workflow = await api.workflow(name="Automations only", kind="automations", steps=[], catch_up="skip")
    await _automation(
        api,
        workflow["id"],
        name="Hold at 2 days overdue",
        trigger={"kind": "days_from_due", "days": 2},
        actions=[{"kind": "set_invoice_status", "params": {"status": "on_hold"}}],
    )
    customer = await api.customer()
    invoice = await api.invoice(due_in_days=1)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    assert await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED) == []
    await _days_pass(api, 4, enrollment["workflow_id"])
    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert "2 days after due (INV-1042)" in fired[0].description
    rows = await _rows(api, Invoice, Invoice.id == invoice["id"])
    assert rows[0].collection_status == "on_hold"
    runs = await _rows(api, AutomationRun, AutomationRun.customer_id == customer["id"])
    assert [r.outcome for r in runs] == ["fired"]


async def test_a_none_workflow_only_escalates_internally_every_monday(api: Api) -> None:
    manager = api.users[Role.AR_MANAGER]
    workflow = await api.workflow(
        name="Escalations", kind="automations", steps=[], internal_recipients=[manager.id]
    )
    await _automation(
        api,
        workflow["id"],
        name="Monday escalation",
        trigger={"kind": "weekday", "weekday": 0},
        conditions=[{"metric": "overdue", "operator": "gte", "value": "100"}],
        actions=[{"kind": "internal_notification"}],
    )
    customer = await api.customer()
    await api.invoice(due_in_days=-20)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    await _days_pass(api, 8, enrollment["workflow_id"])
    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert "Monday escalation" in fired[0].description and "Overdue >= " in fired[0].description
    sent = await _await_history(api, customer["id"], HistoryAction.INTERNAL_NOTIFICATION_SENT)
    assert "ar_manager@acme.example" in sent[0].description
    messages = await _rows(api, OutboxMessage)
    assert messages and all(m.to_addresses == [manager.email] for m in messages)
    assert await _history(api, customer["id"], HistoryAction.MESSAGE_SENT) == []  # nothing to the customer
    status = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
    assert status["enrollment"]["state"] == "active"


async def test_an_automation_moves_the_customer_to_another_workflow_when_the_due_date_moves(api: Api) -> None:
    first = await api.workflow()
    second = await api.workflow(name="After a new due date")
    await _automation(
        api,
        first["id"],
        name="Due date moved: other workflow",
        trigger={"kind": "due_date_moved"},
        actions=[{"kind": "move_to_workflow", "params": {"definition_id": second["id"]}}],
    )
    customer = await api.customer()
    invoice = await api.invoice(due_in_days=10)
    enrollment = await api.enroll(customer["id"], first["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    await api.invoice(due_in_days=30, issue_date=invoice["issue_date"])
    await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)

    async def moved() -> bool:
        got = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
        return bool(got["enrollment"]["definition_id"] == second["id"])

    await api.eventually(moved, timeout=20)


async def test_an_automation_cancels_the_enrollment_when_the_invoice_is_paid_in_full(api: Api) -> None:
    workflow = await api.workflow()
    await _automation(
        api,
        workflow["id"],
        name="Paid: stop",
        trigger={"kind": "invoice_paid", "payment": "full"},
        actions=[{"kind": "cancel_enrollment"}],
    )
    customer = await api.customer()
    invoice = await api.invoice()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    await api.invoice(
        balance_due="0.00", status="paid", due_date=invoice["due_date"], issue_date=invoice["issue_date"]
    )

    async def cancelled() -> bool:
        got = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
        return bool(got["enrollment"]["state"] == "cancelled")

    await api.eventually(cancelled, timeout=20)
    fired = await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert "invoice paid in full" in fired[0].description


async def test_an_automations_email_that_needs_approval_waits_for_the_manager_then_goes(api: Api) -> None:
    workflow = await api.workflow(name="Payments watch", kind="automations", steps=[])
    gate = {"role": "ar_manager", "timeout_hours": 24, "on_expiry": "skip"}
    # Only a message the customer reads can wait for a person: a gated task is refused.
    await api.refused(
        "POST",
        "/automations",
        422,
        "invalid_action",
        json={
            "name": "Gated task",
            "trigger": {"kind": "customer_paused"},
            "actions": [{"kind": "task", "params": {"title": "x", "approval": gate}}],
        },
    )
    await _automation(
        api,
        workflow["id"],
        name="Partly paid: thank and remind",
        trigger={"kind": "invoice_paid", "payment": "partial"},
        actions=[{"kind": "customer_email", "params": {"approval": gate}}],
    )
    customer = await api.customer()
    invoice = await api.invoice()
    await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    await api.invoice(balance_due="1000.00", due_date=invoice["due_date"], issue_date=invoice["issue_date"])

    async def waiting() -> bool:
        return bool((await api.ok("GET", "/approvals?state=pending", Role.VIEWER))["items"])

    await api.eventually(waiting, timeout=20)
    (item,) = (await api.ok("GET", "/approvals?state=pending", Role.VIEWER))["items"]
    assert "INV-1042" in item["text_body"] and item["role"] == "ar_manager"
    assert await _rows(api, OutboxMessage) == []  # nothing leaves before a person decides
    await api.refused("POST", f"/approvals/{item['id']}/approve", 403, role=Role.AR_SPECIALIST)
    await api.ok("POST", f"/approvals/{item['id']}/approve", Role.AR_MANAGER, json={})

    (approved,) = await _await_history(api, customer["id"], HistoryAction.APPROVAL_APPROVED)
    assert "ar_manager@acme.example" in approved.description
    await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert len(await _rows(api, OutboxMessage)) == 1


# --- the webhook action, against a local HTTPS stub that verifies the signature ---------------


@pytest.fixture
def authority() -> Authority:
    return Authority("arcadence automations test CA")


@pytest.fixture
def https_stub(authority: Authority, tmp_path: Path) -> Iterator[HTTPServer]:
    cert, key = authority.issue("127.0.0.1", server=True).write(tmp_path, "stub")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def worker_webhook_tls(authority: Authority) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=authority.cert_pem.decode())


def _verified(received: list[dict[str, Any]], answers: list[int]) -> Any:
    def handler(request: Request) -> Response:
        body = request.get_data()
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        expected = (
            "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
            return Response("bad signature", status=401)
        received.append(json.loads(body))
        return Response("", status=answers.pop(0) if answers else 200)

    return handler


async def test_the_webhook_reaches_the_https_endpoint_signed_and_is_retried_until_it_answers(
    api: Api, https_stub: HTTPServer
) -> None:
    received: list[dict[str, Any]] = []
    https_stub.expect_request("/credit-hold", method="POST").respond_with_handler(_verified(received, [503]))
    workflow = await api.workflow()
    url = https_stub.url_for("/credit-hold").replace("http://", "https://")
    await _automation(
        api,
        workflow["id"],
        name="Credit hold in the ERP",
        trigger={"kind": "customer_paused"},
        actions=[{"kind": "call_webhook", "params": {"url": url}}],
        webhook_secret=SECRET,
    )
    customer = await api.customer()
    await api.invoice()
    await api.enroll(customer["id"], workflow["id"])
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "Disputed"})

    async def fired() -> bool:
        if not await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED):
            await _skip(api, timedelta(seconds=30))  # past the retry's backoff
            return False
        return True

    await api.eventually(fired, timeout=30)
    entry = (await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED))[0]
    assert "1. call_webhook: webhook answered 200" in entry.description
    assert len(received) == 2  # refused once (503), retried by Temporal, accepted
    assert received[0] == received[1]  # the same signed body, the same key: the ERP can dedupe
    assert (
        received[1]["customer"]["name"] == "Globex"
        and received[1]["automation"]["name"] == "Credit hold in the ERP"
    )


async def test_a_webhook_the_endpoint_refuses_is_recorded_as_failed(api: Api, https_stub: HTTPServer) -> None:
    https_stub.expect_request("/hold", method="POST").respond_with_data("no", status=400)
    workflow = await api.workflow()
    await _automation(
        api,
        workflow["id"],
        name="Hold",
        trigger={"kind": "customer_paused"},
        actions=[
            {
                "kind": "call_webhook",
                "params": {"url": https_stub.url_for("/hold").replace("http:", "https:")},
            }
        ],
        webhook_secret=SECRET,
    )
    customer = await api.customer()
    await api.enroll(customer["id"], workflow["id"])
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "x"})
    entry = (await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED))[0]
    assert "webhook failed: webhook answered 400" in entry.description


async def test_a_workflows_ar_contact_is_the_from_of_its_emails(api: Api) -> None:
    template = await api.ok(
        "POST",
        "/templates",
        status=201,
        json={
            "name": "Signed by the desk",
            "channel": "email",
            "subject": "Invoice {{ invoice.number }}",
            "text_body": "Questions? {{ ar_contact.sender_name }}, {{ ar_contact.phone }}, "
            "{{ ar_contact.reply_to }}",
        },
    )
    workflow = await api.workflow(
        ar_sender_name="Enterprise desk",
        ar_email="enterprise@acme.example",
        ar_phone="+1 555 0100",
        steps=[{"offset_days": -3, "action": "customer_email", "template_id": template["id"]}],
    )
    assert workflow["ar_email"] == "enterprise@acme.example"
    customer = await api.customer()
    await api.invoice(due_in_days=3)  # the first reminder (due - 3) is today
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _days_pass(api, 1, enrollment["workflow_id"])
    await _await_history(api, customer["id"], HistoryAction.MESSAGE_SENT)
    messages = await _rows(api, OutboxMessage)
    assert [m.from_address for m in messages] == ["enterprise@acme.example"]
    assert messages[0].text_body == "Questions? Enterprise desk, +1 555 0100, enterprise@acme.example"


async def test_one_event_performs_at_most_20_actions_and_the_excess_is_recorded(api: Api) -> None:
    workflow = await api.workflow()
    for n in range(3):
        await _automation(
            api,
            workflow["id"],
            name=f"Noisy {n}",
            trigger={"kind": "customer_paused"},
            actions=[{"kind": "note", "params": {"text": f"note {i}"}} for i in range(10)],
        )
    customer = await api.customer()
    await api.invoice()
    await api.enroll(customer["id"], workflow["id"])
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "storm"})
    limited = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_LIMITED)
    assert "Noisy 2" in limited[0].description and "20 actions per event" in limited[0].description
    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED, count=2)
    assert [f.description.split("'")[1] for f in fired] == ["Noisy 0", "Noisy 1"]
    notes = await _history(api, customer["id"], HistoryAction.STEP_PERFORMED)
    assert len(notes) == 20


async def test_overdue_crossing_a_threshold_fires_once_when_crossed(api: Api) -> None:
    workflow = await api.workflow(name="Thresholds", kind="automations", steps=[])
    await _automation(
        api,
        workflow["id"],
        name="Overdue over 1,000",
        trigger={"kind": "threshold_crossed", "metric": "overdue", "value": "1000"},
        actions=[{"kind": "task", "params": {"title": "Escalate: overdue over 1,000"}}],
    )
    customer = await api.customer()
    await api.invoice(due_in_days=2)  # 2,340.50, not overdue yet
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _days_pass(api, 5, enrollment["workflow_id"])
    fired = await _await_history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert "overdue crossed 1000" in fired[0].description
    assert [t.title for t in await _rows(api, Task, Task.customer_id == customer["id"])] == [
        "Escalate: overdue over 1,000"
    ]
    runs = await _rows(api, AutomationRun, AutomationRun.customer_id == customer["id"])
    outcomes = [r.outcome for r in sorted(runs, key=lambda r: r.id)]
    assert "checked" in outcomes and outcomes.count("fired") == 1  # below, then crossed, then stays above


async def test_a_workflow_that_completes_performs_its_workflow_completed_automation_before_it_ends(
    api: Api,
) -> None:
    workflow = await api.workflow(
        name="Onboarding",
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "note", "parameters": {"text": "Welcome call booked"}},
            {"offset_days": 1, "action": "note", "parameters": {"text": "Welcome call done"}},
        ],
    )
    await _automation(
        api,
        workflow["id"],
        name="Onboarding done: review the account",
        trigger={"kind": "workflow_completed"},
        actions=[{"kind": "task", "params": {"title": "Review the account after onboarding"}}],
    )
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await _await_history(api, customer["id"], HistoryAction.ENROLLED)
    for _ in range(4):  # the two steps fall within three days of any enrollment instant
        if await _history(api, customer["id"], HistoryAction.ENROLLMENT_COMPLETED):
            break
        await _skip(api, timedelta(days=1))
        await asyncio.sleep(0.5)

    (completed,) = await _await_history(api, customer["id"], HistoryAction.ENROLLMENT_COMPLETED)
    (fired,) = await _history(api, customer["id"], HistoryAction.AUTOMATION_FIRED)
    assert fired.description.startswith(
        "Automation 'Onboarding done: review the account' fired on workflow completed"
    ), fired.description
    assert fired.id is not None and completed.id is not None and fired.id < completed.id  # before it ended
    tasks = await _rows(api, Task, Task.customer_id == customer["id"])
    assert [t.title for t in tasks] == ["Review the account after onboarding"]
    (event,) = await _rows(
        api, Event, Event.customer_id == customer["id"], Event.kind == "workflow_completed"
    )
    assert event.payload == {"definition_id": workflow["id"]} and event.processed_at is not None
    status = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
    assert status["enrollment"]["state"] == "completed"
