"""Customers through the API: create, sync, hierarchy, contacts, defaults on sync, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from domain.enums import Role
from models import Contact, Customer, Enrollment, HistoryEntry
from tests.api.conftest import AUTOPAY_WORKFLOW, Api


async def test_a_customer_round_trips_with_contacts_and_is_listed_with_paging(api: Api) -> None:
    created = await api.customer()
    assert (await api.ok("GET", f"/customers/{created['id']}", Role.VIEWER))["name"] == "Globex"
    contacts = await api.ok("GET", f"/customers/{created['id']}/contacts", Role.VIEWER)
    assert [(c["email"], c["roles"]) for c in contacts] == [("ap@globex.example", ["communication"])]
    added = await api.ok(
        "POST",
        f"/customers/{created['id']}/contacts",
        status=201,
        json={"name": "Bob", "phone": "+14155550100", "roles": ["billing"]},
    )
    assert added["phone"] == "+14155550100"
    await api.ok("DELETE", f"/customers/{created['id']}/contacts/{contacts[0]['id']}", status=204)
    remaining = await api.ok("GET", f"/customers/{created['id']}/contacts")
    assert [c["id"] for c in remaining] == [added["id"]]
    await api.refused("DELETE", f"/customers/{created['id']}/contacts/{contacts[0]['id']}", 404, "not_found")
    await api.refused("POST", f"/customers/{created['id']}/contacts", 422, json={"name": "Nobody"})

    for n in range(2, 5):
        await api.customer(f"QB-{n}", name=f"Initech {n}")
    page = await api.ok("GET", "/customers?limit=2&offset=1", Role.VIEWER)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 2, 1, 2)
    found = await api.ok("GET", "/customers?search=glob", Role.VIEWER)
    assert found["total"] == 1
    item = found["items"][0]
    assert {"last_action", "last_action_by", "last_action_at"} <= set(item) and item["last_action"] is None


async def test_duplicate_external_id_is_a_409(api: Api) -> None:
    await api.customer()
    await api.refused(
        "POST", "/customers", 409, "duplicate_external_id", json={"external_id": "QB-1", "name": "X"}
    )
    body = {"customers": [{"external_id": "A", "name": "A"}, {"external_id": "A", "name": "A again"}]}
    refused = await api.refused("POST", "/customers/batch", 409, "duplicate_external_id", json=body)
    assert refused["error"]["details"] == ["A"]
    assert await api.count(Customer) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"external_id": "QB-1", "name": "Globex", "colour": "red"},
        {"external_id": "QB-1", "name": "x" * 301},
        {"external_id": "x" * 129, "name": "Globex"},
        {"external_id": "QB-1", "name": 42},
        {"external_id": "QB-1", "name": "   "},
        {"external_id": "QB-1", "name": "Globex", "currency": "XYZ"},
        {"external_id": "QB-1", "name": "Globex", "autopay": "yes"},
        {"external_id": "QB-1", "name": "Globex", "specialist_id": "3"},
        {"external_id": "QB-1", "name": "Globex", "autopay_anchor": "whenever"},
        {"external_id": "QB-1", "name": "Globex", "contacts": [{"email": "not-an-email"}]},
        {"external_id": "QB-1", "name": "Globex", "contacts": [{"email": "a@b.example"}] * 51},
        {"external_id": "QB-1", "name": "Globex", "bill_to_parent": True},
        {"external_id": "QB-1", "name": "Globex", "parent_external_id": "NOPE"},
        {"external_id": "QB-1", "name": "Globex", "specialist_id": 424242},
        {"name": "Globex"},
    ],
)
async def test_invalid_input_is_a_422_and_writes_nothing(api: Api, body: dict[str, Any]) -> None:
    await api.refused("POST", "/customers", 422, "invalid_input" if "colour" in body else None, json=body)
    assert await api.count(Customer) == 0 and await api.count(Contact) == 0


async def test_a_batch_of_more_than_a_thousand_is_refused_whole(api: Api) -> None:
    too_many = {"customers": [{"external_id": f"C{i}", "name": "n"} for i in range(1001)]}
    await api.refused("POST", "/customers/batch", 422, "invalid_input", json=too_many)
    one_bad = {"customers": [{"external_id": "OK", "name": "fine"}, {"external_id": "BAD", "name": ""}]}
    await api.refused("POST", "/customers/batch", 422, json=one_bad)
    assert await api.count(Customer) == 0


async def test_batch_sync_is_idempotent_and_builds_the_hierarchy(api: Api) -> None:
    batch: dict[str, list[dict[str, Any]]] = {
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
    assert [i["external_id"] for i in first["items"]] == ["TOP", "MID", "KID"]  # parents first
    again = await api.ok("POST", "/customers/batch", json=batch)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert {i["id"] for i in again["items"]} == {i["id"] for i in first["items"]}
    renamed = {"customers": [{**batch["customers"][2], "name": "Globex Holdings Inc"}]}
    assert (await api.ok("POST", "/customers/batch", json=renamed))["updated"] == 1

    ids = {i["external_id"]: i["id"] for i in first["items"]}
    kid = await api.ok("GET", f"/customers/{ids['KID']}")
    assert kid["parent_id"] == ids["MID"] and kid["bill_to_parent"] is True

    await api.refused(
        "PATCH", f"/customers/{ids['TOP']}", 422, "hierarchy_cycle", json={"parent_id": ids["KID"]}
    )
    await api.refused(
        "PATCH", f"/customers/{ids['TOP']}", 422, "hierarchy_cycle", json={"parent_id": ids["TOP"]}
    )
    await api.refused(
        "PATCH", f"/customers/{ids['TOP']}", 422, "hierarchy_cycle", json={"parent_external_id": "MID"}
    )
    looping = {
        "customers": [
            {"external_id": "X", "name": "X", "parent_external_id": "Y"},
            {"external_id": "Y", "name": "Y", "parent_external_id": "X"},
        ]
    }
    await api.refused("POST", "/customers/batch", 422, "hierarchy_cycle", json=looping)
    await api.refused("PATCH", f"/customers/{ids['MID']}", 422, json={"name": None})
    # Detaching the middle: its child still bills to it, so a parent stays required.
    moved = await api.ok("PATCH", f"/customers/{ids['MID']}", json={"parent_id": None})
    assert moved["parent_id"] is None
    await api.refused(
        "PATCH", f"/customers/{ids['KID']}", 422, "bill_to_parent_without_parent", json={"parent_id": None}
    )
    await api.refused("PATCH", "/customers/424242", 404, "not_found", json={"name": "Nobody"})


async def test_a_newly_synced_customer_is_enrolled_in_the_default_workflow(api: Api) -> None:
    workflow = await api.workflow()
    autopay = await api.workflow(**AUTOPAY_WORKFLOW)
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
                {"external_id": "C", "name": "Child", "parent_external_id": "P", "bill_to_parent": True},
                {"external_id": "P", "name": "Parent"},
                {"external_id": "A", "name": "Pays by card", "autopay": True},
            ]
        },
    )
    enrolled = {i["external_id"]: i["enrolled_in"] for i in synced["items"]}
    assert enrolled == {"P": workflow["id"], "A": autopay["id"], "C": workflow["id"]}
    async with api.sessions() as session:
        rows = (await session.exec(select(Enrollment))).all()
        history = (await session.exec(select(HistoryEntry.action))).all()
    assert len(rows) == 3 and history.count("enrolled") == 3
    for row in rows:  # each one's workflow was started in Temporal
        assert row.state == "active" and row.individually_enrolled is False
        assert await api.workflow_running(row.workflow_id)

    # An existing customer is left alone by the next sync; a new one is enrolled.
    again = await api.ok(
        "POST",
        "/customers/batch",
        json={"customers": [{"external_id": "P", "name": "Parent Inc"}, {"external_id": "N", "name": "New"}]},
    )
    assert [(i["outcome"], i["enrolled_in"]) for i in again["items"]] == [
        ("updated", None),
        ("created", workflow["id"]),
    ]
    assert await api.count(Enrollment) == 4


async def test_without_an_enabled_default_a_new_customer_is_created_but_not_enrolled(api: Api) -> None:
    first = await api.ok("POST", "/customers/batch", json={"customers": [{"external_id": "A", "name": "A"}]})
    assert first["items"][0]["enrollment_note"] == "no default workflow is set"
    workflow = await api.workflow()
    await api.ok("PUT", "/settings", json={"name": "Acme", "default_definition_id": workflow["id"]})
    await api.ok("POST", f"/workflows/{workflow['id']}/disable")
    synced = await api.ok("POST", "/customers/batch", json={"customers": [{"external_id": "B", "name": "B"}]})
    assert synced["items"][0]["enrolled_in"] is None and "disabled" in synced["items"][0]["enrollment_note"]
    paying = await api.ok(
        "POST", "/customers/batch", json={"customers": [{"external_id": "C", "name": "C", "autopay": True}]}
    )
    assert "auto-pay" in paying["items"][0]["enrollment_note"]
    assert await api.count(Customer) == 3 and await api.count(Enrollment) == 0


async def test_a_bill_to_parent_child_follows_its_parent_unless_enrolled_individually(api: Api) -> None:
    default = await api.workflow()
    other = await api.workflow(name="Strict")
    third = await api.workflow(name="Gentle")
    await api.ok("PUT", "/settings", json={"name": "Acme", "default_definition_id": default["id"]})
    synced = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {"external_id": "P", "name": "Parent"},
                {"external_id": "C", "name": "Child", "parent_external_id": "P", "bill_to_parent": True},
                {"external_id": "G", "name": "Grandchild", "parent_external_id": "C", "bill_to_parent": True},
                {"external_id": "S", "name": "Sibling", "parent_external_id": "P"},
            ]
        },
    )
    ids = {i["external_id"]: i["id"] for i in synced["items"]}
    await api.enroll(ids["P"], other["id"])

    async def definition_of(external_id: str) -> int:
        enrollments = await api.ok("GET", f"/customers/{ids[external_id]}/enrollments")
        return int(enrollments[0]["definition_id"])

    assert [await definition_of(x) for x in "PCGS"] == [other["id"], other["id"], other["id"], default["id"]]
    history = await api.ok("GET", f"/customers/{ids['G']}/history")
    assert history["items"][0]["description"].startswith("Follows its parent")

    await api.enroll(ids["C"], default["id"])  # individually: the child now stays where it is put
    await api.enroll(ids["P"], third["id"])
    assert [await definition_of(x) for x in "PCG"] == [third["id"], default["id"], default["id"]]
