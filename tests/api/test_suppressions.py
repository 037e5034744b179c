"""Suppressed addresses through the API: the webhook suppresses any address (not only a
contact's), a person lists and lifts them, the lift is in the history and is the customer's Last
Action, and a wrong lift is a machine-readable 404 / 409 / 403."""

from __future__ import annotations

from typing import Any

from domain.enums import Role
from models import Contact, Customer, HistoryEntry, Suppression
from tests.api.conftest import Api
from tests.api.test_sendgrid_webhook import Hook, delivery, event, rows
from tests.api.test_sendgrid_webhook import hook as hook  # the webhook fixture, shared


async def _suppressions(api: Api, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = await api.ok("GET", "/suppressions", Role.VIEWER, params=query)
    return page


async def test_a_bounce_suppresses_an_address_of_no_contact_for_everyone(hook: Hook) -> None:
    customer = await hook.api.customer()
    sent = await delivery(hook.api, customer["id"])
    await hook.send([event("unsubscribe", sent, email="CFO@Partner.example")])

    (row,) = await rows(hook.api, Suppression)
    assert (row.address, row.source, row.delivery_id) == ("cfo@partner.example", "unsubscribe", sent.id)
    assert row.lifted_at is None
    (entry,) = await rows(hook.api, HistoryEntry)
    assert "no contact of this customer has it" in entry.description
    assert entry.details["address_suppressed"] is True and entry.details["contact_suppressed"] is False
    # A webhook event is never the customer's Last Action.
    (customer_row,) = await rows(hook.api, Customer, id=customer["id"])
    assert customer_row.last_action is None
    # Replayed and repeated: still one suppression in force.
    await hook.send([event("unsubscribe", sent, at=1764689000, email="cfo@partner.example")])
    assert len(await rows(hook.api, Suppression)) == 1


async def test_a_person_lifts_a_suppression_and_every_customer_with_the_address_records_it(
    hook: Hook,
) -> None:
    api = hook.api
    first = await api.customer()
    second = await api.customer("QB-2", contacts=[{"name": "Jane", "email": "AP@globex.example"}])
    sent = await delivery(api, first["id"])
    await hook.send([event("bounce", sent, reason="550 no such user", type="bounce")])
    assert all(c.suppressed_at is not None for c in await rows(api, Contact))  # both customers
    page = await _suppressions(api, active="true")
    (listed,) = page["items"]
    assert listed["address"] == "ap@globex.example" and listed["active"] is True
    assert "550 no such user" in listed["reason"]

    lifted = await api.ok(
        "POST",
        f"/suppressions/{listed['id']}/lift",
        Role.SUPPORT,
        json={"reason": "Mailbox fixed"},
    )

    support = api.users[Role.SUPPORT].email
    assert lifted["active"] is False and lifted["lifted_by"] == support
    assert sorted(lifted["recorded_for_customers"]) == sorted([first["id"], second["id"]])
    assert all(c.suppressed_at is None for c in await rows(api, Contact))
    for customer in (first, second):
        history = await api.ok("GET", f"/customers/{customer['id']}/history")
        (entry,) = [h for h in history["items"] if h["action"] == "suppression_lifted"]
        assert entry["actor"] == support and "Mailbox fixed" in entry["description"]
        (row,) = await rows(api, Customer, id=customer["id"])
        assert row.last_action_by == support and row.last_action == entry["description"]
    assert (await _suppressions(api, active="true"))["items"] == []
    assert (await _suppressions(api, address="AP@GLOBEX.example"))["total"] == 1

    await api.refused(
        "POST",
        f"/suppressions/{listed['id']}/lift",
        409,
        "suppression_already_lifted",
        json={"reason": "again"},
    )


async def test_lifting_is_for_managers_and_support_and_an_unknown_one_is_a_404(hook: Hook) -> None:
    api = hook.api
    customer = await api.customer()
    sent = await delivery(api, customer["id"])
    await hook.send([event("dropped", sent, reason="Bounced Address")])
    (row,) = await rows(api, Suppression)
    for role in (Role.VIEWER, Role.AR_SPECIALIST):
        await api.refused(
            "POST", f"/suppressions/{row.id}/lift", 403, "forbidden", role=role, json={"reason": "x"}
        )
    await api.refused("POST", "/suppressions/999999/lift", 404, "suppression_not_found", json={"reason": "x"})
    await api.refused("POST", f"/suppressions/{row.id}/lift", 422, json={})
    await api.ok("POST", f"/suppressions/{row.id}/lift", Role.AR_MANAGER, json={"reason": "checked"})


async def test_the_timeline_shows_a_suppressed_address_refused_as_the_send_would(hook: Hook) -> None:
    api = hook.api
    workflow = await api.workflow(additional_recipients={"emails": ["cfo@partner.example"]})
    customer = await api.customer()
    await api.invoice(due_in_days=20)
    sent = await delivery(api, customer["id"])
    await hook.send([event("spamreport", sent)])
    enrollment = await api.enroll(customer["id"], workflow["id"])

    body = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=1", Role.VIEWER)

    (item,) = body["items"]
    assert item["recipients"] == ["cfo@partner.example"]
    page = await api.ok("GET", "/suppressions", params={"address": "ap@globex.example"})
    assert page["items"][0]["source"] == "spamreport"
