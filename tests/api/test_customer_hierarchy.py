"""The hierarchy's billing setting through the API (immediate or top), and a bill-to-parent child
with no enrollment of its own following its parent's workflow."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from models import Enrollment
from tests.api.conftest import Api


async def test_billing_level_defaults_to_immediate_and_is_synced_and_patched(api: Api) -> None:
    synced = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {"external_id": "TOP", "name": "Holdings"},
                {"external_id": "MID", "name": "US", "parent_external_id": "TOP", "bill_to_parent": True},
                {
                    "external_id": "KID",
                    "name": "Ohio",
                    "parent_external_id": "MID",
                    "bill_to_parent": True,
                    "billing_level": "top",
                },
            ]
        },
    )
    ids = {i["external_id"]: i["id"] for i in synced["items"]}
    assert (await api.ok("GET", f"/customers/{ids['MID']}"))["billing_level"] == "immediate"
    assert (await api.ok("GET", f"/customers/{ids['KID']}"))["billing_level"] == "top"

    patched = await api.ok("PATCH", f"/customers/{ids['MID']}", json={"billing_level": "top"})
    assert patched["billing_level"] == "top"
    again = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {
                    "external_id": "KID",
                    "name": "Ohio",
                    "parent_external_id": "MID",
                    "bill_to_parent": True,
                    "billing_level": "immediate",
                }
            ]
        },
    )
    assert again["items"][0]["outcome"] == "updated"
    assert (await api.ok("GET", f"/customers/{ids['KID']}"))["billing_level"] == "immediate"


async def test_an_unknown_or_null_billing_level_is_a_422(api: Api) -> None:
    await api.refused(
        "POST", "/customers", 422, json={"external_id": "A", "name": "A", "billing_level": "middle"}
    )
    created = await api.customer()
    await api.refused("PATCH", f"/customers/{created['id']}", 422, json={"billing_level": None})
    await api.refused("PATCH", f"/customers/{created['id']}", 422, json={"billing_level": "sideways"})


async def test_a_bill_to_parent_child_with_no_enrollment_follows_its_parent_when_it_is_enrolled(
    api: Api,
) -> None:
    workflow = await api.workflow(name="Strict")
    own = await api.workflow(name="Gentle")
    # No default workflow: nobody is enrolled by the sync.
    synced = await api.ok(
        "POST",
        "/customers/batch",
        json={
            "customers": [
                {"external_id": "P", "name": "Parent"},
                {"external_id": "C", "name": "Child", "parent_external_id": "P", "bill_to_parent": True},
                {"external_id": "G", "name": "Grandchild", "parent_external_id": "C", "bill_to_parent": True},
                {"external_id": "I", "name": "Own choice", "parent_external_id": "P", "bill_to_parent": True},
                {"external_id": "S", "name": "Sibling", "parent_external_id": "P"},
            ]
        },
    )
    ids = {i["external_id"]: i["id"] for i in synced["items"]}
    assert await api.count(Enrollment) == 0
    await api.enroll(ids["I"], own["id"])  # individually: it keeps its own

    await api.enroll(ids["P"], workflow["id"])

    async def enrollments_of(external_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await api.ok("GET", f"/customers/{ids[external_id]}/enrollments")
        return rows

    followed = {x: [e["definition_id"] for e in await enrollments_of(x)] for x in "PCGIS"}
    assert followed == {
        "P": [workflow["id"]],
        "C": [workflow["id"]],
        "G": [workflow["id"]],
        "I": [own["id"]],
        "S": [],
    }
    async with api.sessions() as session:
        for x in "CG":
            (row,) = (await session.exec(select(Enrollment).where(Enrollment.customer_id == ids[x]))).all()
            assert row.individually_enrolled is False  # it follows the parent's next move too
            assert await api.workflow_running(row.workflow_id)


async def test_the_timeline_of_a_bill_to_parent_child_names_its_parents_contacts(api: Api) -> None:
    workflow = await api.workflow()
    parent = await api.customer("P", name="Parent", contacts=[{"name": "AP", "email": "ap@parent.example"}])
    child = await api.customer(
        "C",
        name="Child",
        parent_external_id="P",
        bill_to_parent=True,
        contacts=[{"name": "Office", "email": "office@child.example"}],
    )
    assert parent["id"] != child["id"]
    await api.invoice("C", due_in_days=20)
    enrollment = await api.enroll(child["id"], workflow["id"])

    body = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=1")

    assert body["items"][0]["recipients"] == ["ap@parent.example"]


async def test_the_preview_of_a_parents_statement_lists_the_invoices_of_children_billed_to_it(
    api: Api,
) -> None:
    """The preview builds the message as the engine does (one function): a parent's statement
    covers its own invoices and those of a child billed to it, not those of a child billed alone."""
    parent = await api.customer("P", name="Holdings")
    await api.customer("BILLED", name="Ohio", parent_external_id="P", bill_to_parent=True)
    await api.customer("ALONE", name="Texas", parent_external_id="P")
    await api.invoice("P", number="P-1", total="100.00", balance_due="100.00")
    await api.invoice("BILLED", number="OHIO-1", total="40.00", balance_due="40.00")
    await api.invoice("ALONE", number="TEXAS-1", total="7.00", balance_due="7.00")
    template = await api.ok(
        "POST",
        "/templates",
        status=201,
        json={
            "name": "Statement lines",
            "subject": "Statement",
            "text_body": "{% for i in invoices %}{{ i.number }};{% endfor %} {{ totals.outstanding_text }}",
        },
    )
    rendered = await api.ok(
        "POST", f"/templates/{template['id']}/preview", json={"customer_id": parent["id"]}
    )
    assert rendered["text_body"] == "OHIO-1;P-1; $140.00"  # oldest due first, then by number
