"""Customers and invoices through the API: sync, hierarchy, defaults on sync, refusals."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from domain.enums import Role
from models import Customer, Enrollment
from tests.api.conftest import WORKFLOW, Api


async def _count(api: Api, model: type) -> int:
    async with api.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_a_customer_round_trips_with_contacts(api: Api) -> None:
    created = await api.ok(
        "POST",
        "/customers",
        status=201,
        json={
            "external_id": "QB-1",
            "name": "Globex",
            "contacts": [{"name": "Jane", "email": "ap@globex.example"}],
        },
    )
    assert (await api.ok("GET", f"/customers/{created['id']}", Role.VIEWER))["name"] == "Globex"
    contacts = await api.ok("GET", f"/customers/{created['id']}/contacts", Role.VIEWER)
    assert [(c["email"], c["roles"]) for c in contacts] == [("ap@globex.example", ["communication"])]
    page = await api.ok("GET", "/customers?search=glob", Role.VIEWER)
    assert page["total"] == 1 and page["items"][0]["last_action"] is None


async def test_duplicate_external_id_is_a_409(api: Api) -> None:
    await api.ok("POST", "/customers", status=201, json={"external_id": "QB-1", "name": "Globex"})
    response = await api.call("POST", "/customers", json={"external_id": "QB-1", "name": "Other"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "duplicate_external_id"


async def test_invalid_input_is_a_422_and_writes_nothing(api: Api) -> None:
    for body in (
        {"external_id": "QB-1", "name": "Globex", "colour": "red"},
        {"external_id": "QB-1", "name": "x" * 301},
        {"external_id": "QB-1", "name": 42},
        {"external_id": "QB-1", "name": "Globex", "currency": "XYZ"},
        {"external_id": "QB-1", "name": "Globex", "contacts": [{"email": "not-an-email"}]},
    ):
        response = await api.call("POST", "/customers", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_input"
    too_many = {"customers": [{"external_id": f"C{i}", "name": "n"} for i in range(1001)]}
    assert (await api.call("POST", "/customers/batch", json=too_many)).status_code == 422
    assert await _count(api, Customer) == 0


async def test_batch_sync_is_idempotent_and_builds_the_hierarchy(api: Api) -> None:
    batch = {
        "customers": [
            {
                "external_id": "KID",
                "name": "Globex Ohio",
                "parent_external_id": "MID",
                "bill_to_parent": True,
            },
            {"external_id": "MID", "name": "Globex US", "parent_external_id": "TOP"},
            {"external_id": "TOP", "name": "Globex Holdings"},
        ]
    }
    first = await api.ok("POST", "/customers/batch", json=batch)
    assert (first["created"], first["updated"], first["unchanged"]) == (3, 0, 0)
    again = await api.ok("POST", "/customers/batch", json=batch)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    ids = {i["external_id"]: i["id"] for i in first["items"]}
    kid = await api.ok("GET", f"/customers/{ids['KID']}")
    assert kid["parent_id"] == ids["MID"] and kid["bill_to_parent"] is True

    cycle = await api.call("PATCH", f"/customers/{ids['TOP']}", json={"parent_external_id": "KID"})
    assert cycle.status_code == 422 and cycle.json()["error"]["code"] == "hierarchy_cycle"
    duplicate = await api.call("POST", "/customers/batch", json={"customers": [batch["customers"][2]] * 2})
    assert duplicate.status_code == 409


async def test_a_newly_synced_customer_is_enrolled_in_the_default_workflow(api: Api) -> None:
    workflow = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    autopay = await api.ok(
        "POST",
        "/workflows",
        status=201,
        json={
            "name": "Auto-pay notice",
            "kind": "autopay",
            "steps": [{"offset_days": -3, "action": "customer_email"}],
        },
    )
    await api.ok(
        "PUT",
        "/settings",
        json={
            "name": "Acme",
            "default_definition_id": workflow["id"],
            "autopay_definition_id": autopay["id"],
        },
    )
    synced = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {"external_id": "P", "name": "Parent"},
                {"external_id": "A", "name": "Pays by card", "autopay": True},
                {"external_id": "C", "name": "Child", "parent_external_id": "P", "bill_to_parent": True},
            ]
        },
    )
    enrolled = {i["external_id"]: i["enrolled_in"] for i in synced["items"]}
    assert enrolled == {"P": workflow["id"], "A": autopay["id"], "C": workflow["id"]}
    async with api.sessions() as session:
        rows = (await session.exec(select(Enrollment))).all()
    assert len(rows) == 3
    child = next(
        r for r in rows if r.customer_id == next(i["id"] for i in synced["items"] if i["external_id"] == "C")
    )
    assert child.individually_enrolled is False
    for row in rows:  # each one's workflow was started in Temporal
        await api.env.client.get_workflow_handle(row.workflow_id).query("status")

    # An existing customer is left alone by the next sync.
    again = await api.ok(
        "POST", "/customers/batch", json={"customers": [{"external_id": "P", "name": "Parent Inc"}]}
    )
    assert again["items"][0]["enrolled_in"] is None
    async with api.sessions() as session:
        assert len((await session.exec(select(Enrollment))).all()) == 3


async def test_invoice_sync_refreshes_a_running_enrollment(api: Api) -> None:
    workflow = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    customer = await api.ok("POST", "/customers", status=201, json={"external_id": "QB-1", "name": "Globex"})
    await api.ok(
        "POST", f"/customers/{customer['id']}/enrollment", status=201, json={"definition_id": workflow["id"]}
    )
    due = date.today() + timedelta(days=10)
    invoice = {
        "external_id": "INV-1",
        "customer_external_id": "QB-1",
        "number": "INV-1",
        "total": "100.00",
        "balance_due": "100.00",
        "issue_date": str(due - timedelta(days=30)),
        "due_date": str(due),
    }
    first = await api.ok("POST", "/invoices/batch", json={"invoices": [invoice]})
    assert (first["created"], first["refreshed_enrollments"]) == (1, 1)
    same = await api.ok("POST", "/invoices/batch", json={"invoices": [invoice]})
    assert (same["unchanged"], same["refreshed_enrollments"]) == (1, 0)
    paid = await api.ok(
        "POST", "/invoices/batch", json={"invoices": [{**invoice, "balance_due": "0", "status": "paid"}]}
    )
    assert (paid["updated"], paid["refreshed_enrollments"]) == (1, 1)
    unknown = await api.call(
        "POST", "/invoices/batch", json={"invoices": [{**invoice, "customer_external_id": "NOPE"}]}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_customer"
    over = await api.call(
        "POST", "/invoices/batch", json={"invoices": [{**invoice, "balance_due": "200.00"}]}
    )
    assert over.status_code == 422


async def test_unknown_ids_are_404s(api: Api) -> None:
    for path in (
        "/customers/424242",
        "/invoices/424242",
        "/workflows/424242",
        "/templates/424242",
        "/enrollments/424242",
    ):
        response = await api.call("GET", path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
