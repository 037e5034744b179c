"""Workflow definitions and templates through the API: versions, clone, enable/disable,
validation at save time, preview with real data."""

from __future__ import annotations

from typing import Any

import pytest

from domain.enums import Role
from models import Template, WorkflowDefinition
from tests.api.conftest import WORKFLOW, Api


async def test_editing_a_workflow_makes_a_version_and_running_enrollments_replan(api: Api) -> None:
    created = await api.workflow(
        conditions=[{"metric": "overdue", "operator": "gte", "value": "50"}],
        additional_recipients={"emails": ["cfo@globex.example"], "contact_roles": ["billing"]},
    )
    assert created["version"] == 1 and created["conditions"][0]["value"] == "50"
    step_ids = [s["id"] for s in created["steps"]]
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], created["id"])

    edited = await api.ok(
        "PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "steps": WORKFLOW["steps"][:2]}
    )
    assert edited["version"] == 2
    assert [s["id"] for s in edited["steps"]] == step_ids[:2]  # kept: occurrence keys stay stable
    same = await api.ok(
        "PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "steps": WORKFLOW["steps"][:2]}
    )
    assert same["version"] == 2  # nothing changed, no new version
    versions = await api.ok("GET", f"/workflows/{created['id']}/versions", Role.VIEWER)
    assert [v["version"] for v in versions] == [1, 2] and len(versions[0]["snapshot"]["steps"]) == 3

    async def refreshed() -> bool:
        return "refresh" in await api.signals(enrollment["workflow_id"])

    await api.eventually(refreshed)
    listed = await api.ok("GET", "/workflows", Role.VIEWER)
    assert [w["name"] for w in listed] == ["Net 30 reminders"]


async def test_clone_enable_and_disable(api: Api) -> None:
    created = await api.workflow()
    copy = await api.ok("POST", f"/workflows/{created['id']}/clone", status=201, json={"name": "Copy"})
    assert copy["id"] != created["id"] and len(copy["steps"]) == 3 and copy["version"] == 1
    await api.refused(
        "POST", f"/workflows/{created['id']}/clone", 409, "duplicate_name", json={"name": "Copy"}
    )
    assert (await api.ok("POST", f"/workflows/{created['id']}/disable"))["enabled"] is False
    customer = await api.customer()
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/enrollment",
        409,
        "definition_disabled",
        json={"definition_id": created["id"]},
    )
    assert (await api.ok("POST", f"/workflows/{created['id']}/enable"))["enabled"] is True
    await api.enroll(customer["id"], created["id"])
    await api.refused(
        "PUT", f"/workflows/{created['id']}", 409, "kind_change", json={**WORKFLOW, "kind": "assignment"}
    )
    await api.refused("POST", "/workflows", 409, "duplicate_name", json=WORKFLOW)
    await api.refused("POST", "/workflows/424242/enable", 404, "not_found")


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "customer"},  # a customer cadence needs a frequency
        {"kind": "weekly"},
        {"steps": []},
        {"steps": [{"offset_days": n, "action": "note"} for n in range(101)]},
        {"steps": [{"offset_days": 1, "action": "dance"}]},
        {"steps": [{"offset_days": 99999, "action": "note"}]},
        {"steps": [{"offset_days": 1, "action": "customer_email", "parameters": {"template": "nope"}}]},
        {"steps": [{"offset_days": 1, "action": "assign_specialist"}]},
        {"steps": [{"offset_days": 1, "action": "set_invoice_status", "parameters": {"status": "lost"}}]},
        {"steps": [{"offset_days": 1, "action": "note", "parameters": {"text": "x" * 2001}}]},
        {"steps": [{"offset_days": 1, "action": "customer_email", "template_id": 424242}]},
        {"conditions": [{"metric": "overdue", "operator": "gte", "value": "-5"}]},
        {"conditions": [{"metric": "mood", "operator": "gte", "value": "5"}]},
        {"additional_recipients": {"emails": ["not-an-email"]}},
        {"additional_recipients": {"emails": [f"a{n}@x.example" for n in range(16)]}},
        {"internal_recipients": [424242]},
        {"continue_with_id": 424242},
        {"name": "x" * 201},
        {"frequency": {"period": "weekly", "weekday": 1}},
    ],
)
async def test_invalid_workflows_are_refused_and_write_nothing(api: Api, change: dict[str, Any]) -> None:
    response = await api.call("POST", "/workflows", json={**WORKFLOW, **change})
    assert response.status_code in (404, 422), response.text
    assert await api.count(WorkflowDefinition) == 0


async def test_templates_are_validated_on_save_and_previewed_with_real_data(api: Api) -> None:
    await api.refused(
        "POST",
        "/templates",
        422,
        "template_invalid",
        json={"name": "Broken", "subject": "Hi", "text_body": "{{ customer.__class__.__mro__ }}"},
    )
    await api.refused(
        "POST", "/templates", 422, "template_invalid", json={"name": "B", "text_body": "{% if %}"}
    )
    await api.refused("POST", "/templates", 422, json={"name": "Big", "text_body": "x" * 100_001})
    assert await api.count(Template) == 0
    template = await api.ok(
        "POST",
        "/templates",
        status=201,
        json={
            "name": "Friendly",
            "subject": "Invoice {{ invoice.number }} for {{ customer.name }}",
            "text_body": "{{ invoice.balance_due_text }} due {{ invoice.due_date_text }}",
        },
    )
    customer = await api.customer()
    invoice = await api.invoice()
    rendered = await api.ok(
        "POST",
        f"/templates/{template['id']}/preview",
        Role.VIEWER,
        json={"customer_id": customer["id"], "invoice_id": invoice["id"]},
    )
    assert rendered["subject"] == "Invoice INV-1042 for Globex"
    assert rendered["text_body"].startswith("$2,340.50 due")
    other = await api.customer("QB-2")
    await api.refused(
        "POST",
        f"/templates/{template['id']}/preview",
        422,
        "invoice_of_another_customer",
        json={"customer_id": other["id"], "invoice_id": invoice["id"]},
    )
    await api.refused("POST", f"/templates/{template['id']}/preview", 404, json={"customer_id": 424242})

    changed = await api.ok(
        "PUT",
        f"/templates/{template['id']}",
        json={"name": "Friendly", "subject": "Hi", "text_body": "Hello"},
    )
    assert changed["text_body"] == "Hello"
    assert [t["name"] for t in await api.ok("GET", "/templates", Role.VIEWER)] == ["Friendly"]


async def test_a_template_in_use_cannot_be_deleted_nor_change_channel(api: Api) -> None:
    sms = await api.ok(
        "POST",
        "/templates",
        status=201,
        json={"name": "Text", "channel": "sms", "text_body": "Pay {{ customer.name }}"},
    )
    email_step = {"offset_days": 1, "action": "customer_email", "template_id": sms["id"]}
    await api.refused("POST", "/workflows", 422, json={**WORKFLOW, "steps": [email_step]})
    await api.workflow(steps=[{"offset_days": 1, "action": "sms", "template_id": sms["id"]}])
    await api.refused("DELETE", f"/templates/{sms['id']}", 409, "template_in_use")
    await api.refused(
        "PUT",
        f"/templates/{sms['id']}",
        409,
        "template_in_use",
        json={"name": "Text", "subject": "Hi", "text_body": "Hi"},
    )
    unused = await api.ok(
        "POST", "/templates", status=201, json={"name": "Unused", "subject": "Hi", "text_body": "Hi"}
    )
    await api.ok("DELETE", f"/templates/{unused['id']}", status=204)
    await api.refused("GET", f"/templates/{unused['id']}", 404, "not_found")


STATEMENTS: dict[str, Any] = {
    "name": "Weekly statement",
    "kind": "customer",
    "frequency": {"period": "weekly", "weekday": 1},
    "steps": [{"offset_days": 0, "action": "statement_email"}],
}


async def test_a_continue_with_chain_that_leads_back_to_itself_is_refused_when_saved(api: Api) -> None:
    first = await api.workflow(name="First notices")
    second = await api.workflow(name="Second notices", continue_with_id=first["id"])
    third = await api.workflow(name="Final notices", continue_with_id=second["id"])
    refused = await api.refused(
        "PUT",
        f"/workflows/{first['id']}",
        422,
        "continue_with_loop",
        json={**WORKFLOW, "name": "First notices", "continue_with_id": third["id"]},
    )
    assert refused["error"]["details"]["loop"] == [first["id"], third["id"], second["id"], first["id"]]
    loop = "'First notices' → 'Final notices' → 'Second notices' → 'First notices'"
    assert loop in refused["error"]["message"]
    await api.refused(
        "PUT",
        f"/workflows/{first['id']}",
        422,
        "continue_with_loop",
        json={**WORKFLOW, "name": "First notices", "continue_with_id": first["id"]},
    )
    unchanged = await api.ok("GET", f"/workflows/{first['id']}", Role.VIEWER)
    assert unchanged["continue_with_id"] is None and unchanged["version"] == 1


async def test_a_statement_series_never_ends_so_it_cannot_continue_with_another(api: Api) -> None:
    successor = await api.workflow()
    await api.refused(
        "POST",
        "/workflows",
        422,
        "continue_with_never_ends",
        json={**STATEMENTS, "continue_with_id": successor["id"]},
    )
    series = await api.ok("POST", "/workflows", status=201, json=STATEMENTS)
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], series["id"])
    await api.refused(
        "POST",
        f"/enrollments/{enrollment['id']}/continue-with",
        422,
        "continue_with_never_ends",
        json={"definition_id": successor["id"]},
    )


async def test_an_enrollment_cannot_continue_with_the_workflow_it_runs(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    await api.refused(
        "POST",
        f"/enrollments/{enrollment['id']}/continue-with",
        422,
        "continue_with_loop",
        json={"definition_id": workflow["id"]},
    )


async def test_an_edited_workflow_is_the_version_running_enrollments_report_at_their_next_plan(
    api: Api,
) -> None:
    created = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], created["id"])
    path = f"/enrollments/{enrollment['id']}"

    async def reports(version: int) -> bool:
        status = await api.ok("GET", path, Role.VIEWER)
        live = status["workflow"]
        return (
            status["enrollment"]["definition_version"] == version
            and live is not None
            and live["definition_version"] == version
            and f"Running 'Net 30 reminders' version {version}." in live["details"]
        )

    await api.eventually(lambda: reports(1))
    await api.ok("PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "steps": WORKFLOW["steps"][:2]})
    await api.eventually(lambda: reports(2))


async def test_restoring_a_saved_version_makes_it_current_as_a_new_version(api: Api) -> None:
    created = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], created["id"])
    await api.ok("PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "steps": WORKFLOW["steps"][:1]})
    await api.refused("POST", f"/workflows/{created['id']}/versions/1/restore", 403, role=Role.SUPPORT)
    await api.refused("POST", f"/workflows/{created['id']}/versions/9/restore", 404, "not_found")

    restored = await api.ok("POST", f"/workflows/{created['id']}/versions/1/restore")
    assert restored["version"] == 3
    assert [(s["offset_days"], s["action"]) for s in restored["steps"]] == [
        (s["offset_days"], s["action"]) for s in WORKFLOW["steps"]
    ]
    versions = await api.ok("GET", f"/workflows/{created['id']}/versions", Role.VIEWER)
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[2]["snapshot"]["steps"] and len(versions[2]["snapshot"]["steps"]) == 3

    async def refreshed() -> bool:
        return (await api.signals(enrollment["workflow_id"])).count("refresh") >= 2

    await api.eventually(refreshed)
