"""Workflows, templates and enrollments through the API: versions, preview, pause, timeline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from domain.enums import Role
from domain.schedules import OrgCalendar, timeline
from models import Enrollment, Task
from models.repository import enrollment_context, load_definition, open_invoices, schedule_spec
from tests.api.conftest import WORKFLOW, Api
from workflows.enrollment import EnrollmentWorkflow

NY = ZoneInfo("America/New_York")


async def _customer_with_invoice(api: Api, due_in_days: int = 10) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = await api.ok(
        "POST",
        "/customers",
        status=201,
        json={
            "external_id": "QB-1",
            "name": "Globex",
            "contacts": [{"name": "Jane", "email": "ap@globex.example"}],
        },
    )
    today = (await api.env.get_current_time()).astimezone(NY).date()
    due = today + timedelta(days=due_in_days)
    await api.ok(
        "POST",
        "/invoices/batch",
        json={
            "invoices": [
                {
                    "external_id": "I-1",
                    "customer_external_id": "QB-1",
                    "number": "INV-1042",
                    "total": "2340.50",
                    "balance_due": "2340.50",
                    "issue_date": str(due - timedelta(days=30)),
                    "due_date": str(due),
                }
            ]
        },
    )
    invoices = await api.ok("GET", f"/customers/{customer['id']}/invoices")
    return customer, invoices[0]


async def test_editing_a_workflow_makes_a_version_and_clone_and_disable_work(api: Api) -> None:
    created = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    step_ids = [s["id"] for s in created["steps"]]
    edited = await api.ok(
        "PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "steps": WORKFLOW["steps"][:2]}
    )
    assert edited["version"] == 2
    assert [s["id"] for s in edited["steps"]] == step_ids[:2]  # kept: occurrence keys stay stable
    versions = await api.ok("GET", f"/workflows/{created['id']}/versions", Role.VIEWER)
    assert [v["version"] for v in versions] == [1, 2] and len(versions[0]["snapshot"]["steps"]) == 3
    copy = await api.ok("POST", f"/workflows/{created['id']}/clone", status=201, json={"name": "Copy"})
    assert copy["id"] != created["id"] and len(copy["steps"]) == 2
    await api.ok("POST", f"/workflows/{created['id']}/disable")
    customer = await api.ok("POST", "/customers", status=201, json={"external_id": "X", "name": "X"})
    refused = await api.call(
        "POST", f"/customers/{customer['id']}/enrollment", json={"definition_id": created["id"]}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "definition_disabled"
    bad = await api.call("POST", "/workflows", json={**WORKFLOW, "name": "Weekly", "kind": "customer"})
    assert bad.status_code == 422
    kind_change = await api.call(
        "PUT", f"/workflows/{created['id']}", json={**WORKFLOW, "kind": "assignment"}
    )
    assert kind_change.status_code == 409


async def test_templates_are_validated_on_save_and_previewed_with_real_data(api: Api) -> None:
    broken = await api.call(
        "POST",
        "/templates",
        json={"name": "Broken", "subject": "Hi", "text_body": "{{ customer.__class__.__mro__ }}"},
    )
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "template_invalid"
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
    customer, invoice = await _customer_with_invoice(api)
    rendered = await api.ok(
        "POST",
        f"/templates/{template['id']}/preview",
        Role.VIEWER,
        json={"customer_id": customer["id"], "invoice_id": invoice["id"]},
    )
    assert rendered["subject"] == "Invoice INV-1042 for Globex"
    assert rendered["text_body"].startswith("$2,340.50 due")


async def test_pause_reaches_the_workflow_and_history_records_every_action(api: Api) -> None:
    workflow = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    other = await api.ok("POST", "/workflows", status=201, json={**WORKFLOW, "name": "Strict"})
    customer, _ = await _customer_with_invoice(api)
    enrollment = await api.ok(
        "POST", f"/customers/{customer['id']}/enrollment", status=201, json={"definition_id": workflow["id"]}
    )
    handle = api.env.client.get_workflow_handle(enrollment["workflow_id"])

    until = (max(datetime.now(UTC), await api.env.get_current_time()) + timedelta(days=30)).isoformat()
    await api.ok(
        "POST",
        f"/customers/{customer['id']}/pause",
        Role.SUPPORT,
        json={"reason": "Promise to pay", "until": until},
    )
    for _ in range(300):  # the signal is a nudge; on a busy machine it can take a moment
        if (await handle.query(EnrollmentWorkflow.status)).paused:
            break
        await asyncio.sleep(0.1)
    status = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
    assert status["enrollment"]["state"] == "paused"
    assert status["workflow"]["paused"] is True, status
    assert status["workflow"]["pause_reason"] == "Promise to pay"

    await api.ok("POST", f"/customers/{customer['id']}/resume", Role.SUPPORT)
    await api.ok(
        "POST", f"/enrollments/{enrollment['id']}/reassign", Role.SUPPORT, json={"definition_id": other["id"]}
    )
    again = await api.ok(
        "POST", f"/customers/{customer['id']}/enrollment", status=201, json={"definition_id": workflow["id"]}
    )
    assert again["id"] == enrollment["id"]  # enrolling an enrolled customer reassigns it

    history = await api.ok("GET", f"/customers/{customer['id']}/history", Role.VIEWER)
    actions = [h["action"] for h in history["items"]]
    for expected in ("enrolled", "customer_paused", "customer_resumed", "workflow_reassigned"):
        assert expected in actions
    paused = next(h for h in history["items"] if h["action"] == "customer_paused")
    assert paused["actor"] == "support@acme.example"
    listed = await api.ok("GET", "/customers", Role.VIEWER)
    assert listed["items"][0]["last_action_by"] == "admin@acme.example"


async def test_timeline_matches_the_domain_rules(api: Api) -> None:
    workflow = await api.ok(
        "POST",
        "/workflows",
        status=201,
        json={**WORKFLOW, "conditions": [{"metric": "outstanding", "operator": "gte", "value": "5000"}]},
    )
    customer, _invoice = await _customer_with_invoice(api, due_in_days=20)
    enrollment = await api.ok(
        "POST", f"/customers/{customer['id']}/enrollment", status=201, json={"definition_id": workflow["id"]}
    )
    body = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=3", Role.VIEWER)

    async with api.sessions() as session:
        row = (await session.exec(select(Enrollment).where(Enrollment.id == enrollment["id"]))).one()
        definition, steps = await load_definition(session, row.definition_id)
        from models import Customer

        customer_row = (await session.exec(select(Customer).where(Customer.id == customer["id"]))).one()
        ctx = enrollment_context(row, customer_row, await open_invoices(session, customer["id"]))
    expected = timeline(
        schedule_spec(definition, steps), ctx, OrgCalendar(), after=datetime.now(UTC), limit=3
    )
    assert [i["local_date"] for i in body["items"]] == [str(o.local_date) for o in expected]
    first = body["items"][0]
    assert first["invoice_number"] == "INV-1042" and first["recipients"] == ["ap@globex.example"]
    assert first["conditions_hold_today"] is False
    assert first["conditions"] == "Outstanding >= 5,000.00 USD (was 2,340.50 USD)"
    assert body["items"][2]["action"] == "task" and body["items"][2]["recipients"] == []


async def test_tasks_are_listed_and_completed_by_specialists(api: Api) -> None:
    customer = await api.ok("POST", "/customers", status=201, json={"external_id": "Q", "name": "Q"})
    specialist = api.users[Role.AR_SPECIALIST]
    async with api.sessions() as session:
        session.add(Task(customer_id=customer["id"], assignee_id=specialist.id, title="Call AP"))
        await session.commit()
    tasks = await api.ok("GET", f"/tasks?assignee_id={specialist.id}&status=open", Role.AR_SPECIALIST)
    assert [t["title"] for t in tasks] == ["Call AP"]
    done = await api.ok("POST", f"/tasks/{tasks[0]['id']}/complete", Role.AR_SPECIALIST)
    assert done["status"] == "done" and done["completed_by"] == specialist.email
    assert (
        await api.call("POST", f"/tasks/{tasks[0]['id']}/complete", Role.AR_SPECIALIST)
    ).status_code == 409
    assert await api.ok("GET", f"/deliveries?customer_id={customer['id']}", Role.VIEWER) == []
