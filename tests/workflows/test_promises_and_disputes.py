"""Promises to pay and disputes through the whole engine: the API records them, the promise's
own deadline workflow judges it at the organization's send time after the grace days, and the
enrollment re-plans; what fell due while an invoice was held meets the catch-up policy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from temporalio.worker import Replayer

from domain.enums import HistoryAction, Role
from domain.schedules import local_instant
from models import Delivery, Event, HistoryEntry, Invoice, OutboxMessage, PromiseToPay, Task
from services import disputes as dispute_service
from services import promises as promise_service
from tests.api.conftest import NY, Api
from tests.api.test_promises_and_disputes import _own_promise_workflows  # noqa: F401  (autouse)
from tests.workflows.test_automations import _automation, _own_workflow_ids, _rows, _skip, _waits  # noqa: F401
from workers.converter import DATA_CONVERTER
from workflows.promise import PromiseWorkflow, deadline_label

# `services` reads the wall clock; here it reads the test server's, as the engine does.
_CLOCK: dict[str, datetime] = {}


@pytest.fixture(autouse=True)
def _services_on_the_engine_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for module in (promise_service, dispute_service):
        monkeypatch.setattr(module, "now", lambda: _CLOCK["now"])
    yield
    _CLOCK.clear()


async def _tick(api: Api) -> None:
    _CLOCK["now"] = await api.env.get_current_time()


async def _until(api: Api, start: date, day: int, at: time, workflow_id: str) -> None:
    """Skip to `at` (New York) on `start + day`, a day at most at a time, letting the woken
    workflows act at each wake-up."""
    target = local_instant(start + timedelta(days=day), at, NY)
    await _waits(api, workflow_id)
    while (now := await api.env.get_current_time()) < target:
        await _skip(api, min(target - now, timedelta(days=1)))
        await asyncio.sleep(0.2)
        await _waits(api, workflow_id)
    await _tick(api)


async def _sent_about(api: Api, customer_id: int) -> list[tuple[int | None, datetime]]:
    """(invoice id, sent at) of each message that reached the customer, oldest first."""
    deliveries = await _rows(api, Delivery, Delivery.customer_id == customer_id)
    messages = {m.delivery_id for m in await _rows(api, OutboxMessage)}
    return sorted(
        ((d.invoice_id, d.sent_at) for d in deliveries if d.id in messages and d.sent_at is not None),
        key=lambda x: x[1],
    )


async def _actions(api: Api, customer_id: int) -> list[HistoryEntry]:
    return sorted(await _rows(api, HistoryEntry, HistoryEntry.customer_id == customer_id), key=lambda h: h.id)


async def _setup(api: Api, **workflow: Any) -> tuple[dict[str, Any], dict[str, Any], date]:
    await _tick(api)
    specialist = api.users[Role.AR_SPECIALIST]
    customer = await api.customer(specialist_id=specialist.id)
    definition = await api.workflow(**workflow)
    return customer, definition, await api.today()


def test_a_promise_deadline_is_labelled_in_utc_whatever_zone_it_arrives_in() -> None:
    in_new_york = datetime(2026, 12, 11, 14, 30, tzinfo=NY)
    assert deadline_label(in_new_york) == "Fri 11 Dec 2026 19:30 UTC"
    assert deadline_label(in_new_york.astimezone(UTC)) == "Fri 11 Dec 2026 19:30 UTC"


async def test_a_partly_paid_promise_breaks_at_its_deadline_fires_automations_gives_a_task_dunning_resumes(
    api: Api,
) -> None:
    customer, definition, start = await _setup(api, catch_up="latest")
    await _automation(
        api,
        definition["id"],
        name="Promise broken: note it",
        trigger={"kind": "promise_broken"},
        actions=[{"kind": "note", "params": {"text": "promise broken"}}],
    )
    invoice = await api.invoice(due_in_days=10)  # reminders on day 7 and day 17 at 14:30
    enrollment = await api.enroll(customer["id"], definition["id"])
    workflow_id = enrollment["workflow_id"]
    promise = await api.ok(
        "POST",
        f"/customers/{customer['id']}/promises",
        Role.AR_SPECIALIST,
        status=201,
        json={"invoice_ids": [invoice["id"]], "promised_date": str(start + timedelta(days=6))},
    )
    # Judged on day 8 at 14:30 (the send time, two grace days after the promised date).
    assert promise["deadline_at"].startswith(str(start + timedelta(days=8)))

    await _until(api, start, 3, time(12, 0), workflow_id)
    # The promise's workflow names its deadline in UTC and says so (14:30 New York is 19:30 UTC).
    promise_handle = api.env.client.get_workflow_handle(f"promise-{promise['id']}")
    details = (await promise_handle.query("__temporal_workflow_metadata")).current_details
    in_utc = datetime.fromisoformat(promise["deadline_at"]).astimezone(UTC)
    assert details.startswith(f"Waiting until {in_utc:%a %d %b %Y %H:%M} UTC:"), details
    await api.invoice(due_date=invoice["due_date"], issue_date=invoice["issue_date"], balance_due="1000.00")
    await _until(api, start, 8, time(12, 0), workflow_id)
    assert await _sent_about(api, customer["id"]) == []  # day 7's reminder waited for the promise
    (still_open,) = await api.ok("GET", f"/customers/{customer['id']}/promises", Role.VIEWER)
    assert (still_open["state"], still_open["payment"]) == ("open", "partly paid: 1,340.50 of 2,340.50 USD")

    await _until(api, start, 8, time(15, 0), workflow_id)

    async def broken() -> bool:
        return bool((await _rows(api, PromiseToPay))[0].state == "broken")

    await api.eventually(broken, timeout=20)
    (entry,) = [h for h in await _actions(api, customer["id"]) if h.action == HistoryAction.PROMISE_BROKEN]
    assert "partly paid: 1,340.50 of 2,340.50 USD" in entry.description
    assert "dunning resumes for INV-1042" in entry.description
    assert "task for ar_specialist@acme.example" in entry.description
    assert entry.details["partly_paid"] is True
    assert (await _rows(api, Invoice, Invoice.id == invoice["id"]))[0].collection_status == "in_collection"
    (task,) = await _rows(api, Task, Task.customer_id == customer["id"])
    assert task.assignee_id == api.users[Role.AR_SPECIALIST].id and task.title.startswith(
        "Promise to pay broken"
    )
    events = await _rows(api, Event, Event.customer_id == customer["id"], Event.kind == "promise_broken")
    assert len(events) == 1

    async def reacted() -> bool:
        fired = [h for h in await _actions(api, customer["id"]) if h.action == HistoryAction.AUTOMATION_FIRED]
        return bool(fired) and "promise broken" in fired[0].description

    await api.eventually(reacted, timeout=20)
    # Dunning resumed at once: the reminder missed while promised is caught up (latest), once.
    await _waits(api, workflow_id)
    sent = await _sent_about(api, customer["id"])
    assert [i for i, _ in sent] == [invoice["id"]]
    assert sent[0][1] >= local_instant(start + timedelta(days=8), time(14, 30), NY)
    assert not await api.workflow_running(f"promise-{promise['id']}")
    # The deadline's workflow replays from its own history (determinism of the new workflow).
    history = await api.env.client.get_workflow_handle(f"promise-{promise['id']}").fetch_history()
    replayer = Replayer(workflows=[PromiseWorkflow], data_converter=DATA_CONVERTER)
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None


async def test_a_promise_paid_in_full_before_its_date_is_kept_and_nothing_breaks_at_the_deadline(
    api: Api,
) -> None:
    customer, definition, start = await _setup(api)
    invoice = await api.invoice(due_in_days=3)  # reminder on day 0 (enrolled today) and day 10
    enrollment = await api.enroll(customer["id"], definition["id"])
    workflow_id = enrollment["workflow_id"]
    await api.ok(
        "POST",
        f"/customers/{customer['id']}/promises",
        status=201,
        json={"whole_balance": True, "amount": "2000.00", "promised_date": str(start + timedelta(days=2))},
    )
    await _until(api, start, 1, time(12, 0), workflow_id)
    # 2,000.00 of the 2,340.50 balance is paid: the promised amount, so it is kept.
    await api.invoice(due_date=invoice["due_date"], issue_date=invoice["issue_date"], balance_due="340.50")
    (kept,) = await api.ok("GET", f"/customers/{customer['id']}/promises", Role.VIEWER)
    assert (kept["state"], kept["payment"]) == ("kept", "paid in full: 2,000.00 of 2,000.00 USD")
    # What it covered is back in collection for the rest; the deadline passes without a word.
    assert (await _rows(api, Invoice, Invoice.id == invoice["id"]))[0].collection_status == "in_collection"
    await _until(api, start, 5, time(15, 0), workflow_id)
    actions = [h.action for h in await _actions(api, customer["id"])]
    assert HistoryAction.PROMISE_KEPT in actions and HistoryAction.PROMISE_BROKEN not in actions
    assert await _rows(api, Event, Event.customer_id == customer["id"], Event.kind == "promise_broken") == []
    assert await _rows(api, Task, Task.customer_id == customer["id"]) == []


async def test_a_disputed_invoice_gets_no_reminder_and_once_rejected_is_caught_up_once_not_in_a_burst(
    api: Api,
) -> None:
    customer, definition, start = await _setup(
        api,
        catch_up="latest",
        steps=[{"offset_days": o, "action": "customer_email"} for o in (-3, -1, 1)],
    )
    disputed = await api.invoice(due_in_days=5)  # reminders on days 2, 4 and 6
    other = await api.invoice(external_id="I2-QB-1", number="INV-2001", due_in_days=5)
    enrollment = await api.enroll(customer["id"], definition["id"])
    workflow_id = enrollment["workflow_id"]
    dispute = await api.ok(
        "POST",
        f"/invoices/{disputed['id']}/disputes",
        Role.AR_SPECIALIST,
        status=201,
        json={"reason": "wrong_amount", "note": "Billed 12 hours"},
    )
    (task,) = await _rows(api, Task, Task.customer_id == customer["id"])
    assert task.assignee_id == api.users[Role.AR_SPECIALIST].id

    await _until(api, start, 6, time(16, 0), workflow_id)
    sent = await _sent_about(api, customer["id"])
    assert [i for i, _ in sent] == [other["id"]] * 3  # nothing about the disputed invoice
    timeline = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline", Role.VIEWER)
    assert [d["invoice_number"] for d in timeline["open_disputes"]] == ["INV-1042"]

    await api.ok("POST", f"/disputes/{dispute['id']}/resolve", json={"resolution": "rejected"})

    async def caught_up() -> bool:
        return any(i == disputed["id"] for i, _ in await _sent_about(api, customer["id"]))

    await api.eventually(caught_up, timeout=20)
    await _until(api, start, 8, time(16, 0), workflow_id)
    about_disputed = [at for i, at in await _sent_about(api, customer["id"]) if i == disputed["id"]]
    assert len(about_disputed) == 1  # the latest of the three it missed, once
    missed = [h for h in await _actions(api, customer["id"]) if h.action == HistoryAction.STEPS_MISSED]
    assert missed, "the two older reminders are recorded as missed"
    resolved = [h for h in await _actions(api, customer["id"]) if h.action == HistoryAction.DISPUTE_RESOLVED]
    assert resolved[0].description.startswith("Dispute on INV-1042 (wrong amount) rejected")


async def test_a_promise_whose_deadline_workflow_never_ran_is_judged_by_the_enrollment_at_its_deadline(
    api: Api,
) -> None:
    # Temporal was unreachable after the commit and nobody sent the request again: the promise's
    # own workflow never started. The customer's enrollment wakes just after the deadline and
    # judges it, so the invoice does not stay out of dunning for ever.
    customer, definition, start = await _setup(api)
    invoice = await api.invoice(due_in_days=20)
    enrollment = await api.enroll(customer["id"], definition["id"])
    workflow_id = enrollment["workflow_id"]
    promise = await api.ok(
        "POST",
        f"/customers/{customer['id']}/promises",
        status=201,
        json={"invoice_ids": [invoice["id"]], "promised_date": str(start + timedelta(days=1))},
    )
    await api.env.client.get_workflow_handle(f"promise-{promise['id']}").terminate("never started")
    await _until(api, start, 4, time(15, 0), workflow_id)  # the deadline: day 1 + 2 grace days, 14:30

    (broken,) = await api.ok("GET", f"/customers/{customer['id']}/promises", Role.VIEWER)
    assert broken["state"] == "broken"
    assert (await _rows(api, Invoice, Invoice.id == invoice["id"]))[0].collection_status == "in_collection"
    assert HistoryAction.PROMISE_BROKEN in [h.action for h in await _actions(api, customer["id"])]
