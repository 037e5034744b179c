"""A person sets an invoice's collection status; the accounting sync never undoes it."""

from __future__ import annotations

from domain.enums import Role
from tests.api.conftest import Api


async def test_a_collection_status_set_by_a_person_survives_the_next_sync(api: Api) -> None:
    customer = await api.customer("QB-7")
    invoice = await api.invoice("QB-7")
    assert invoice["collection_status"] == "in_collection"

    held = await api.ok(
        "PUT",
        f"/invoices/{invoice['id']}/collection-status",
        Role.SUPPORT,
        json={"status": "disputed", "reason": "Freight charge contested"},
    )
    assert (held["status"], held["collection_status"]) == ("open", "disputed")

    # The books send the same invoice again, open: the sync owns `status`, not the collection status.
    resynced = await api.invoice("QB-7", balance_due="2000.00")
    assert (resynced["status"], resynced["collection_status"], resynced["balance_due"]) == (
        "open",
        "disputed",
        "2000.00",
    )

    history = await api.ok("GET", f"/customers/{customer['id']}/history")
    (entry,) = [h for h in history["items"] if h["action"] == "collection_status_set"]
    assert entry["actor"] == "support@acme.example"
    assert entry["description"] == (
        "Invoice INV-1042 set to disputed (was in collection) by support@acme.example: "
        "Freight charge contested"
    )
    # A person's decision about the customer is its Last Action (the step doing the same is not).
    after = await api.ok("GET", f"/customers/{customer['id']}")
    assert (after["last_action"], after["last_action_by"]) == (entry["description"], "support@acme.example")


async def test_a_bad_collection_status_or_a_missing_reason_is_refused(api: Api) -> None:
    await api.customer("QB-8")
    invoice = await api.invoice("QB-8")
    path = f"/invoices/{invoice['id']}/collection-status"
    await api.refused("PUT", path, 422, json={"status": "paid", "reason": "no"})
    await api.refused("PUT", path, 422, json={"status": "on_hold"})
    await api.refused(
        "PUT",
        "/invoices/424242/collection-status",
        404,
        "not_found",
        json={"status": "on_hold", "reason": "x"},
    )
    await api.refused("PUT", path, 403, "forbidden", Role.VIEWER, json={"status": "on_hold", "reason": "x"})


async def test_a_step_parameter_for_nothing_owed_or_a_collection_status_is_validated(api: Api) -> None:
    for step in (
        {"offset_days": 0, "action": "customer_email", "parameters": {"send_when_nothing_owed": "yes"}},
        {"offset_days": 0, "action": "internal_notification", "parameters": {"send_when_nothing_owed": True}},
        {"offset_days": 0, "action": "set_invoice_status", "parameters": {"status": "paid"}},
    ):
        await api.refused(
            "POST", "/workflows", 422, json={"name": "W", "kind": "assignment", "steps": [step]}
        )
    created = await api.workflow(
        name="Thanks",
        kind="assignment",
        steps=[
            {"offset_days": 0, "action": "customer_email", "parameters": {"send_when_nothing_owed": True}}
        ],
    )
    assert created["steps"][0]["parameters"] == {"send_when_nothing_owed": True}
