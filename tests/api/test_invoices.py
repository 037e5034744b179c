"""Invoices through the API: sync, single creates, corrections, pause; running enrollments are
nudged after the commit, and only for changes that can move a reminder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.enums import Role
from models import HistoryEntry, Invoice
from tests.api.conftest import Api


async def _invoice_body(api: Api, **overrides: Any) -> dict[str, Any]:
    due = await api.today() + timedelta(days=10)
    return {
        "external_id": "INV-1",
        "customer_external_id": "QB-1",
        "number": "INV-1",
        "total": "100.00",
        "balance_due": "100.00",
        "issue_date": str(due - timedelta(days=30)),
        "due_date": str(due),
        **overrides,
    }


async def test_invoice_sync_is_idempotent_and_refreshes_a_running_enrollment(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    invoice = await _invoice_body(api)

    first = await api.ok("POST", "/invoices/batch", json={"invoices": [invoice]})
    assert (first["created"], first["refreshed_enrollments"]) == (1, 1)
    assert first["items"][0]["outcome"] == "created"
    same = await api.ok("POST", "/invoices/batch", json={"invoices": [invoice]})
    assert (same["unchanged"], same["refreshed_enrollments"]) == (1, 0)
    assert same["items"][0]["id"] == first["items"][0]["id"]
    pdf = await api.ok(
        "POST", "/invoices/batch", json={"invoices": [{**invoice, "pdf_url": "https://x.example/1"}]}
    )
    assert (pdf["updated"], pdf["refreshed_enrollments"]) == (1, 0)  # cannot move a reminder
    paid = await api.ok(
        "POST", "/invoices/batch", json={"invoices": [{**invoice, "balance_due": "0", "status": "paid"}]}
    )
    assert (paid["updated"], paid["refreshed_enrollments"]) == (1, 1)
    await api.eventually(lambda: _count_refreshes(api, enrollment["workflow_id"], 2))


async def _count_refreshes(api: Api, workflow_id: str, expected: int) -> bool:
    return (await api.signals(workflow_id)).count("refresh") == expected


async def test_a_refused_batch_writes_nothing_and_nudges_nobody(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    other = await api.customer("QB-2")
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await api.ok(
        "POST",
        "/invoices/batch",
        json={"invoices": [await _invoice_body(api, external_id="OTHER-1", customer_external_id="QB-2")]},
    )
    assert other["id"]
    moved = await _invoice_body(api, external_id="OTHER-1")  # now claims to be QB-1's
    batch = {"invoices": [await _invoice_body(api), moved]}
    await api.refused("POST", "/invoices/batch", 409, "invoice_customer_changed", json=batch)
    assert await api.count(Invoice) == 1
    assert "refresh" not in await api.signals(enrollment["workflow_id"])


@pytest.mark.parametrize(
    "change",
    [
        {"customer_external_id": "NOPE"},
        {"balance_due": "200.00"},
        {"total": "-1"},
        {"total": "1.001"},
        {"total": "12345678901234567890"},
        {"currency": "usd"},
        {"status": "lost"},
        {"due_date": "2020-01-01"},
        {"due_date": "9999-12-31"},
        {"issue_date": "yesterday"},
        {"pdf_url": "http://insecure.example/x.pdf"},
        {"number": "x" * 65},
        {"extra": 1},
    ],
)
async def test_invalid_invoices_are_a_422_and_write_nothing(api: Api, change: dict[str, Any]) -> None:
    await api.customer()
    await api.refused("POST", "/invoices/batch", 422, json={"invoices": [await _invoice_body(api, **change)]})
    assert await api.count(Invoice) == 0


async def test_too_many_invoices_and_duplicate_ids_are_refused(api: Api) -> None:
    await api.customer()
    body = await _invoice_body(api)
    many = [{**body, "external_id": f"I-{n}"} for n in range(1001)]
    await api.refused("POST", "/invoices/batch", 422, "invalid_input", json={"invoices": many})
    await api.refused(
        "POST", "/invoices/batch", 409, "duplicate_external_id", json={"invoices": [body, body]}
    )
    assert await api.count(Invoice) == 0


async def test_one_invoice_is_added_corrected_paused_and_resumed(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    body = await _invoice_body(api)
    del body["customer_external_id"]
    created = await api.ok("POST", f"/customers/{customer['id']}/invoices", status=201, json=body)
    assert created["customer_id"] == customer["id"] and created["balance_due"] == "100.00"
    await api.refused(
        "POST", f"/customers/{customer['id']}/invoices", 409, "duplicate_external_id", json=body
    )
    await api.refused("POST", "/customers/424242/invoices", 404, "not_found", json=body)

    listed = await api.ok("GET", f"/customers/{customer['id']}/invoices?status=open", Role.VIEWER)
    assert [i["id"] for i in listed["items"]] == [created["id"]] and listed["total"] == 1
    assert (await api.ok("GET", f"/customers/{customer['id']}/invoices?status=paid"))["total"] == 0

    later = str(await api.today() + timedelta(days=20))
    moved = await api.ok("PATCH", f"/invoices/{created['id']}", json={"due_date": later})
    assert moved["due_date"] == later
    await api.refused("PATCH", f"/invoices/{created['id']}", 422, json={"balance_due": "500.00"})
    await api.refused("PATCH", f"/invoices/{created['id']}", 422, json={"status": None})

    paused = await api.ok("POST", f"/invoices/{created['id']}/pause", Role.SUPPORT)
    assert paused["paused"] is True
    assert (await api.ok("POST", f"/invoices/{created['id']}/pause", Role.SUPPORT))["paused"] is True
    resumed = await api.ok("POST", f"/invoices/{created['id']}/resume", Role.SUPPORT)
    assert resumed["paused"] is False
    history = await api.ok("GET", f"/customers/{customer['id']}/history")
    actions = [h["action"] for h in history["items"]]
    assert actions[:2] == ["invoice_resumed", "invoice_paused"]  # newest first, once each
    assert history["items"][1]["actor"] == "support@acme.example"
    assert await api.count(HistoryEntry) == 3  # enrolled, paused, resumed
    # Added, moved, paused, resumed: four nudges, each after its own commit.
    await api.eventually(lambda: _count_refreshes(api, enrollment["workflow_id"], 4))
    await api.refused("GET", "/invoices/424242", 404, "not_found")
    await api.refused("POST", "/invoices/424242/pause", 404, "not_found")
