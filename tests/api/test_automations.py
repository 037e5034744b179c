"""Automations through the API: saved and versioned like workflows, refused with a
machine-readable code when they would loop or cannot work, at most 100 per workflow, and
listed on the customer with when each last fired."""

from __future__ import annotations

from typing import Any

from domain.automations import MAX_AUTOMATIONS_PER_WORKFLOW
from domain.enums import Role
from models import Automation, AutomationRun, WorkflowAutomation
from tests.api.conftest import Api

ON_BOUNCE: dict[str, Any] = {
    "name": "Tell the team about a bounce",
    "trigger": {"kind": "delivery_bounced"},
    "actions": [
        {"kind": "internal_notification"},
        {"kind": "task", "params": {"title": "Find a new address"}},
    ],
}


async def test_an_edit_makes_a_version_and_the_secret_is_never_shown(api: Api) -> None:
    created = await api.ok(
        "POST", "/automations", status=201, json={**ON_BOUNCE, "webhook_secret": "s3cret-s3cret-s3cret"}
    )
    assert created["version"] == 1 and created["has_webhook_secret"] is True
    assert "webhook_secret" not in created
    edited = await api.ok(
        "PUT",
        f"/automations/{created['id']}",
        json={**ON_BOUNCE, "conditions": [{"metric": "overdue", "operator": "gte", "value": "10"}]},
    )
    assert edited["version"] == 2 and edited["has_webhook_secret"] is True  # left out: kept
    same = await api.ok(
        "PUT",
        f"/automations/{created['id']}",
        json={**ON_BOUNCE, "conditions": [{"metric": "overdue", "operator": "gte", "value": "10"}]},
    )
    assert same["version"] == 2
    versions = await api.ok("GET", f"/automations/{created['id']}/versions", Role.VIEWER)
    assert [v["version"] for v in versions] == [1, 2]
    assert all("webhook_secret" not in v["snapshot"] for v in versions)
    assert (await api.ok("POST", f"/automations/{created['id']}/disable"))["enabled"] is False
    assert (await api.ok("POST", f"/automations/{created['id']}/enable"))["enabled"] is True
    await api.refused("POST", "/automations", 409, "duplicate_name", json=ON_BOUNCE)
    listed = await api.ok("GET", "/automations", Role.VIEWER)
    assert [a["name"] for a in listed] == [ON_BOUNCE["name"]]


async def test_an_automation_that_would_fire_itself_is_refused_when_saved(api: Api) -> None:
    body = await api.refused(
        "POST",
        "/automations",
        422,
        "automation_loop",
        json={
            "name": "Loop",
            "trigger": {"kind": "customer_paused"},
            "actions": [{"kind": "pause_customer"}],
        },
    )
    assert "customer_paused" in body["error"]["message"]
    assert await api.count(Automation) == 0


async def test_bad_triggers_and_actions_are_422_with_their_codes(api: Api) -> None:
    async def refused(code: str, trigger: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        await api.refused(
            "POST", "/automations", 422, code, json={"name": "x", "trigger": trigger, "actions": actions}
        )

    await refused("invalid_trigger", {"kind": "invoice_exploded"}, [{"kind": "note"}])
    await refused("invalid_trigger", {"kind": "days_from_due", "days": "five"}, [{"kind": "note"}])
    await refused(
        "invalid_action", {"kind": "enrolled"}, [{"kind": "call_webhook", "params": {"url": "http://x"}}]
    )
    await api.refused(
        "POST",
        "/automations",
        404,
        "not_found",
        json={
            "name": "x",
            "trigger": {"kind": "promise_broken"},
            "actions": [{"kind": "move_to_workflow", "params": {"definition_id": 999}}],
        },
    )
    await api.refused(  # pydantic at the edge: an unknown action kind
        "POST",
        "/automations",
        422,
        json={"name": "x", "trigger": {"kind": "enrolled"}, "actions": [{"kind": "x"}]},
    )
    await api.refused(
        "POST", "/automations", 403, "forbidden", role=Role.SUPPORT, json={**ON_BOUNCE, "name": "y"}
    )
    assert await api.count(Automation) == 0


async def test_a_workflow_takes_at_most_100_automations(api: Api) -> None:
    workflow = await api.workflow()
    async with api.sessions() as session:
        rows = [
            Automation(name=f"a{i}", trigger={"kind": "enrolled"}, actions=[{"kind": "note", "params": {}}])
            for i in range(MAX_AUTOMATIONS_PER_WORKFLOW + 1)
        ]
        session.add_all(rows)
        await session.flush()
        for row in rows[:MAX_AUTOMATIONS_PER_WORKFLOW]:
            session.add(WorkflowAutomation(definition_id=workflow["id"], automation_id=row.id))
        await session.commit()
        extra = rows[-1].id
    body = await api.refused(
        "POST",
        f"/workflows/{workflow['id']}/automations",
        422,
        "too_many_automations",
        json={"automation_id": extra},
    )
    assert body["error"]["details"] == {"limit": 100, "attached": 100}
    first = rows[0].id
    attached = await api.ok("POST", f"/workflows/{workflow['id']}/automations", json={"automation_id": first})
    assert len(attached) == 100  # attaching one already attached changes nothing
    left = await api.ok("DELETE", f"/workflows/{workflow['id']}/automations/{first}")
    assert len(left) == 99
    now_fits = await api.ok("POST", f"/workflows/{workflow['id']}/automations", json={"automation_id": extra})
    assert len(now_fits) == 100 and now_fits[-1]["id"] == extra
    await api.refused("DELETE", f"/workflows/{workflow['id']}/automations/{first}", 404, "not_found")


async def test_the_customer_lists_its_workflows_automations_and_when_each_last_fired(api: Api) -> None:
    workflow = await api.workflow()
    automation = await api.ok("POST", "/automations", status=201, json=ON_BOUNCE)
    other = await api.ok(
        "POST",
        "/automations",
        status=201,
        json={**ON_BOUNCE, "name": "Paid", "trigger": {"kind": "invoice_paid"}},
    )
    for a in (automation, other):
        await api.ok("POST", f"/workflows/{workflow['id']}/automations", json={"automation_id": a["id"]})
    customer = await api.customer()
    assert await api.ok("GET", f"/customers/{customer['id']}/automations", Role.VIEWER) == []  # not enrolled
    enrollment = await api.enroll(customer["id"], workflow["id"])
    async with api.sessions() as session:
        session.add(
            AutomationRun(
                automation_id=automation["id"],
                automation_version=1,
                customer_id=customer["id"],
                enrollment_id=enrollment["id"],
                trigger_key="event:1",
                outcome="fired",
                actions_performed=2,
            )
        )
        await session.commit()
    listed = await api.ok("GET", f"/customers/{customer['id']}/automations", Role.VIEWER)
    assert [(a["name"], a["last_fired_at"] is not None) for a in listed] == [
        (ON_BOUNCE["name"], True),
        ("Paid", False),
    ]


async def test_the_timeline_shows_upcoming_time_triggered_automations_beside_the_steps(api: Api) -> None:
    workflow = await api.workflow()
    monday = await api.ok(
        "POST",
        "/automations",
        status=201,
        json={
            "name": "Monday review",
            "trigger": {"kind": "weekday", "weekday": 0},
            "actions": [{"kind": "task"}],
        },
    )
    await api.ok("POST", f"/workflows/{workflow['id']}/automations", json={"automation_id": monday["id"]})
    customer = await api.customer()
    await api.invoice(due_in_days=10)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    timeline = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=20", Role.VIEWER)
    automations = [i for i in timeline["items"] if i["automation_id"] is not None]
    steps = [i for i in timeline["items"] if i["automation_id"] is None]
    assert steps and automations
    assert all(i["automation_name"] == "Monday review" and i["action"] == "task" for i in automations)
    assert all(i["step_id"] is None for i in automations)
    at = [i["at"] for i in timeline["items"]]
    assert at == sorted(at)  # beside the steps, in firing order
