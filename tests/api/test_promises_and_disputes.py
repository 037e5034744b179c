"""Promises to pay and disputes through the API: what a collector records, what the API shows
of it (partial payment, the timeline), and the bad requests refused with their codes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus

from domain.enums import Role
from models import Event, PromiseToPay, Task
from tests.api.conftest import Api


@pytest_asyncio.fixture(autouse=True)
async def _own_promise_workflows(api: Api) -> AsyncIterator[None]:
    """Each test's promises get ids (so `promise-<id>` workflow ids) no other test of the session
    used, and their deadline workflows still waiting are ended with the test."""
    async with api.sessions() as session:
        start = int.from_bytes(os.urandom(3), "big") + 1000
        await session.exec(text(f"ALTER SEQUENCE promise_to_pay_id_seq RESTART WITH {start}"))  # type: ignore[call-overload]
        await session.commit()
    yield
    from sqlmodel import select

    async with api.sessions() as session:
        ids = list((await session.exec(select(PromiseToPay.id))).all())
    for promise_id in ids:
        with contextlib.suppress(Exception):  # already closed
            await api.env.client.get_workflow_handle(f"promise-{promise_id}").terminate("test done")


async def _second_invoice(api: Api, customer: str = "QB-1", **overrides: Any) -> Any:
    return await api.invoice(customer, external_id=f"I2-{customer}", number="INV-2001", **overrides)


async def _events(api: Api, customer_id: int) -> list[str]:
    from sqlmodel import col, select

    async with api.sessions() as session:
        query = select(Event.kind).where(Event.customer_id == customer_id).order_by(col(Event.id))
        return list((await session.exec(query)).all())


async def test_a_promise_pauses_dunning_shows_partial_payment_and_is_kept_when_paid_in_full(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    invoice = await api.invoice()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    promised = str(await api.today() + timedelta(days=5))

    promise = await api.ok(
        "POST",
        f"/customers/{customer['id']}/promises",
        Role.AR_SPECIALIST,
        status=201,
        json={"invoice_ids": [invoice["id"]], "promised_date": promised, "note": "Wire on Friday"},
    )
    assert (promise["state"], promise["amount"], promise["payment"]) == (
        "open",
        "2340.50",
        "nothing paid of 2,340.50 USD",
    )
    assert promise["grace_days"] == 2 and promise["recorded_by"] == "ar_specialist@acme.example"
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "promised"
    assert await api.workflow_running(f"promise-{promise['id']}")

    # The timeline shows the promise and what happens if it breaks; the invoice is set aside.
    timeline = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline", Role.VIEWER)
    (note,) = timeline["open_promises"]
    assert note["promised_date"] == promised and note["invoices"] == ["INV-1042"]
    assert note["if_broken"] == "dunning resumes for INV-1042, task for nobody (no specialist assigned)"
    assert any("promised" in reason for reason in timeline["set_aside"])

    # A partial payment is shown as such; paying the rest keeps the promise and closes it.
    await api.invoice(balance_due="1000.00")
    (listed,) = await api.ok("GET", f"/customers/{customer['id']}/promises", Role.VIEWER)
    assert (listed["state"], listed["paid_so_far"]) == ("open", "1340.50")
    assert listed["payment"] == "partly paid: 1,340.50 of 2,340.50 USD"
    await api.invoice(balance_due="0.00", status="paid")
    (kept,) = await api.ok("GET", f"/customers/{customer['id']}/promises", Role.VIEWER)
    assert (kept["state"], kept["closed_by"], kept["payment"]) == (
        "kept",
        "arcadence",
        "paid in full: 2,340.50 of 2,340.50 USD",
    )

    async def deadline_ended() -> bool:
        return not await api.workflow_running(f"promise-{promise['id']}")

    await api.eventually(deadline_ended)
    history = await api.ok("GET", f"/customers/{customer['id']}/history")
    actions = [h["action"] for h in history["items"]]
    assert {"promise_recorded", "promise_kept"} <= set(actions)
    assert "promise_broken" not in await _events(api, customer["id"])


async def test_bad_promises_are_refused_with_their_codes(api: Api) -> None:
    customer = await api.customer()
    invoice = await api.invoice()
    other = await api.customer("QB-2", name="Initech")
    theirs = await api.invoice("QB-2")
    paid = await _second_invoice(api, balance_due="0.00", status="paid")
    path = f"/customers/{customer['id']}/promises"
    today = await api.today()
    body = {"invoice_ids": [invoice["id"]], "promised_date": str(today + timedelta(days=3))}

    await api.refused(
        "POST",
        path,
        422,
        "promise_date_in_past",
        json={**body, "promised_date": str(today - timedelta(days=1))},
    )
    await api.refused("POST", path, 422, "promise_amount_not_positive", json={**body, "amount": "0"})
    await api.refused("POST", path, 422, "promise_amount_not_positive", json={**body, "amount": "-10.00"})
    await api.refused("POST", path, 422, "promise_amount_above_balance", json={**body, "amount": "9999.00"})
    await api.refused(
        "POST", path, 422, "invoice_of_another_customer", json={**body, "invoice_ids": [theirs["id"]]}
    )
    await api.refused("POST", path, 422, "invoice_closed", json={**body, "invoice_ids": [paid["id"]]})
    await api.refused("POST", path, 422, "unknown_invoice", json={**body, "invoice_ids": [999_999]})
    await api.refused("POST", path, 422, json={**body, "whole_balance": True})  # both covers at once
    await api.refused("POST", path, 422, json={"promised_date": body["promised_date"]})  # neither
    await api.refused("POST", path, 403, role=Role.SUPPORT, json=body)
    await api.refused("POST", path, 403, role=Role.VIEWER, json=body)
    await api.refused("POST", "/customers/999999/promises", 404, json=body)

    first = await api.ok("POST", path, Role.AR_SPECIALIST, status=201, json=body)
    # The whole balance now overlaps the open promise on INV-1042.
    await api.refused(
        "POST",
        path,
        409,
        "promise_overlaps",
        json={"whole_balance": True, "promised_date": body["promised_date"]},
    )
    await api.refused("POST", path, 409, "promise_overlaps", json=body)

    # Cancelled by a person: back in collection, recorded; a second cancel is a conflict.
    cancelled = await api.ok("POST", f"/promises/{first['id']}/cancel", Role.AR_SPECIALIST)
    assert (cancelled["state"], cancelled["closed_by"]) == ("cancelled", "ar_specialist@acme.example")
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "in_collection"
    await api.refused("POST", f"/promises/{first['id']}/cancel", 409, "promise_closed")
    await api.refused("POST", f"/promises/{first['id']}/cancel", 403, role=Role.VIEWER)

    # The whole balance covers every open invoice of the customer now, for their total.
    whole = await api.ok(
        "POST", path, status=201, json={"whole_balance": True, "promised_date": body["promised_date"]}
    )
    assert [i["number"] for i in whole["invoices"]] == ["INV-1042"] and whole["amount"] == "2340.50"
    assert other["id"] != customer["id"]


async def test_a_dispute_takes_the_invoice_out_gives_the_specialist_a_task_and_is_resolved_once(
    api: Api,
) -> None:
    specialist = api.users[Role.AR_SPECIALIST]
    customer = await api.customer(specialist_id=specialist.id)
    invoice = await api.invoice()
    second = await _second_invoice(api)
    path = f"/invoices/{invoice['id']}/disputes"

    await api.refused("POST", path, 403, role=Role.SUPPORT, json={"reason": "wrong_amount"})
    await api.refused("POST", path, 422, json={"reason": "too_expensive"})
    dispute = await api.ok(
        "POST",
        path,
        Role.AR_SPECIALIST,
        status=201,
        json={"reason": "wrong_amount", "note": "Billed 12 hours"},
    )
    assert (dispute["state"], dispute["opened_by"]) == ("open", "ar_specialist@acme.example")
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "disputed"
    await api.refused("POST", path, 409, "dispute_already_open", json={"reason": "duplicate"})
    # A disputed invoice cannot be promised.
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/promises",
        422,
        "invoice_disputed",
        json={"invoice_ids": [invoice["id"]], "promised_date": str(await api.today())},
    )

    tasks = await api.ok("GET", f"/tasks?customer_id={customer['id']}", Role.VIEWER)
    (task,) = tasks["items"]
    assert (task["title"], task["assignee_id"]) == ("Dispute on INV-1042: wrong amount", specialist.id)
    listed = await api.ok("GET", "/disputes?state=open", Role.VIEWER)
    assert [d["id"] for d in listed["items"]] == [dispute["id"]]

    rejected = await api.ok(
        "POST", f"/disputes/{dispute['id']}/resolve", json={"resolution": "rejected", "note": "Timesheets"}
    )
    assert (rejected["state"], rejected["resolved_by"]) == ("rejected", "admin@acme.example")
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "in_collection"
    await api.refused(
        "POST", f"/disputes/{dispute['id']}/resolve", 409, "dispute_resolved", json={"resolution": "upheld"}
    )
    await api.refused("POST", f"/disputes/{dispute['id']}/resolve", 422, json={"resolution": "open"})

    # Upheld: the invoice stays out of the cadence until the accounting sync credits or voids it.
    other = await api.ok(
        "POST", f"/invoices/{second['id']}/disputes", status=201, json={"reason": "duplicate"}
    )
    upheld = await api.ok("POST", f"/disputes/{other['id']}/resolve", json={"resolution": "upheld"})
    assert upheld["state"] == "upheld"
    assert (await api.ok("GET", f"/invoices/{second['id']}"))["collection_status"] == "disputed"
    assert (await api.ok("GET", "/disputes?state=open", Role.VIEWER))["items"] == []
    assert (await api.ok("GET", f"/disputes?customer_id={customer['id']}"))["total"] == 2

    kinds = await _events(api, customer["id"])
    assert kinds.count("dispute_opened") == 2 and kinds.count("dispute_resolved") == 2
    history = await api.ok("GET", f"/customers/{customer['id']}/history")
    opened = [h for h in history["items"] if h["action"] == "dispute_opened"]
    assert any(
        h["description"].startswith("Invoice INV-1042 disputed by ar_specialist@acme.example: wrong amount")
        and "task for ar_specialist@acme.example" in h["description"]
        for h in opened
    )
    assert await api.count(Task) == 2


async def test_the_same_promise_sent_again_is_the_one_recorded_and_its_deadline_is_watched(api: Api) -> None:
    # A collector whose request timed out, or got 503 because Temporal was unreachable after the
    # commit, sends it again: the same promise comes back, and its deadline workflow runs.
    customer = await api.customer()
    invoice = await api.invoice()
    path = f"/customers/{customer['id']}/promises"
    body = {"invoice_ids": [invoice["id"]], "promised_date": str(await api.today() + timedelta(days=3))}
    first = await api.ok("POST", path, Role.AR_SPECIALIST, status=201, json=body)
    deadline = api.env.client.get_workflow_handle(f"promise-{first['id']}")
    await deadline.terminate("as if it had never been started")

    again = await api.ok("POST", path, Role.AR_SPECIALIST, status=201, json=body)
    assert again["id"] == first["id"]
    assert (await deadline.describe()).status == WorkflowExecutionStatus.RUNNING
    listed = await api.ok("GET", path, Role.VIEWER)
    assert [p["id"] for p in listed] == [first["id"]]  # one promise, not two
    # Another person's, or different terms, still overlap.
    await api.refused("POST", path, 409, "promise_overlaps", json=body)
    await api.refused(
        "POST", path, 409, "promise_overlaps", role=Role.AR_SPECIALIST, json={**body, "amount": "10.00"}
    )


async def test_a_dispute_rejected_on_a_promised_invoice_leaves_it_under_its_promise(api: Api) -> None:
    # Promised on Monday, disputed on Tuesday, the dispute rejected on Wednesday: the customer who
    # promised is not reminded before the promised date.
    customer = await api.customer()
    invoice = await api.invoice()
    body = {"invoice_ids": [invoice["id"]], "promised_date": str(await api.today() + timedelta(days=5))}
    await api.ok("POST", f"/customers/{customer['id']}/promises", Role.AR_SPECIALIST, status=201, json=body)
    dispute = await api.ok(
        "POST", f"/invoices/{invoice['id']}/disputes", status=201, json={"reason": "wrong_amount"}
    )
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "disputed"
    await api.ok("POST", f"/disputes/{dispute['id']}/resolve", json={"resolution": "rejected"})
    assert (await api.ok("GET", f"/invoices/{invoice['id']}"))["collection_status"] == "promised"
