"""Enrollments through the API with a real worker: enroll, pause → status, resume, reassign,
continue-with, cancel, status when the workflow is gone, and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from domain.enums import Role
from domain.schedules import OrgCalendar, timeline
from models import Customer, Enrollment, HistoryEntry
from models.repository import enrollment_context, load_definition, open_invoices, schedule_spec
from tests.api.conftest import NY, Api
from workflows.enrollment import EnrollmentWorkflow


async def test_enrolling_writes_the_row_first_and_starts_the_workflow(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    assert enrollment["state"] == "active" and enrollment["workflow_id"] == f"enrollment-{enrollment['id']}"
    assert enrollment["anchor_date"] == str(datetime.now(UTC).astimezone(NY).date())
    assert enrollment["enrolled_by"] == "admin@acme.example"
    assert await api.workflow_running(enrollment["workflow_id"])

    async def planned() -> bool:
        status = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
        assert status["workflow_error"] is None and status["enrollment"]["id"] == enrollment["id"]
        return bool(status["workflow"]["definition_name"] == "Net 30 reminders")

    await api.eventually(planned)
    await api.refused("POST", "/customers/424242/enrollment", 404, "not_found", json={"definition_id": 1})
    await api.refused(
        "POST", f"/customers/{customer['id']}/enrollment", 404, "not_found", json={"definition_id": 424242}
    )
    await api.refused("POST", f"/customers/{customer['id']}/enrollment", 422, json={"definition_id": "1"})


async def test_pause_reaches_the_workflow_and_history_records_every_action(api: Api) -> None:
    workflow = await api.workflow()
    other = await api.workflow(name="Strict")
    customer = await api.customer()
    await api.invoice()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    handle = api.env.client.get_workflow_handle(enrollment["workflow_id"])

    until = (max(datetime.now(UTC), await api.env.get_current_time()) + timedelta(days=30)).isoformat()
    paused = await api.ok(
        "POST",
        f"/customers/{customer['id']}/pause",
        Role.SUPPORT,
        json={"reason": "Promise to pay", "until": until},
    )
    assert paused["paused"] is True and paused["paused_by"] == "support@acme.example"
    assert paused["last_action_by"] == "support@acme.example" and "Promise to pay" in paused["last_action"]

    async def workflow_paused() -> bool:
        return bool((await handle.query(EnrollmentWorkflow.status)).paused)

    await api.eventually(workflow_paused)
    status = await api.ok("GET", f"/enrollments/{enrollment['id']}", Role.VIEWER)
    assert status["enrollment"]["state"] == "paused"
    assert status["workflow"]["paused"] is True, status
    assert status["workflow"]["pause_reason"] == "Promise to pay"
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/pause",
        422,
        json={"reason": "x", "until": "2020-01-01T00:00:00Z"},
    )
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/pause",
        422,
        json={"reason": "x", "until": "2030-01-01T00:00:00"},
    )
    await api.refused("POST", f"/customers/{customer['id']}/pause", 422, json={"reason": ""})
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/pause",
        422,
        json={"reason": "x", "until": "9999-12-31T00:00:00Z"},
    )

    resumed = await api.ok("POST", f"/customers/{customer['id']}/resume", Role.SUPPORT)
    assert resumed["paused"] is False and resumed["pause_reason"] is None

    async def workflow_resumed() -> bool:
        return not await workflow_paused()

    await api.eventually(workflow_resumed)
    await api.ok(
        "POST", f"/enrollments/{enrollment['id']}/reassign", Role.SUPPORT, json={"definition_id": other["id"]}
    )
    again = await api.enroll(customer["id"], workflow["id"])
    assert again["id"] == enrollment["id"]  # enrolling an enrolled customer reassigns it
    assert await api.count(Enrollment) == 1

    history = await api.ok("GET", f"/customers/{customer['id']}/history", Role.VIEWER)
    actions = [h["action"] for h in history["items"]]
    for expected in ("enrolled", "customer_paused", "customer_resumed", "workflow_reassigned"):
        assert expected in actions
    assert actions[0] == "workflow_reassigned"  # newest first
    entry = next(h for h in history["items"] if h["action"] == "customer_paused")
    assert entry["actor"] == "support@acme.example" and "Promise to pay" in entry["description"]
    assert entry["enrollment_id"] == enrollment["id"]
    signals = await api.signals(enrollment["workflow_id"])
    assert {"pause", "resume", "reassign"} <= set(signals)


async def test_pausing_an_unenrolled_customer_only_writes_the_truth(api: Api) -> None:
    customer = await api.customer()
    await api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "Dispute"})
    assert (await api.ok("GET", "/customers?paused=true"))["total"] == 1
    await api.refused("POST", "/customers/424242/pause", 404, "not_found", json={"reason": "x"})
    await api.refused("POST", "/customers/424242/resume", 404, "not_found")


async def test_continue_with_and_cancel(api: Api) -> None:
    workflow = await api.workflow()
    successor = await api.workflow(name="Final notice")
    customer = await api.customer()
    enrollment = await api.enroll(customer["id"], workflow["id"])
    path = f"/enrollments/{enrollment['id']}"
    updated = await api.ok("POST", f"{path}/continue-with", json={"definition_id": successor["id"]})
    assert updated["continue_with_id"] == successor["id"]

    cancelled = await api.ok("POST", f"{path}/cancel", json={"reason": "Customer closed"})
    assert cancelled["state"] == "cancelled" and cancelled["ended_at"] is not None

    async def ended() -> bool:
        return not await api.workflow_running(enrollment["workflow_id"])

    await api.eventually(ended)
    await api.refused("POST", f"{path}/cancel", 409, "enrollment_ended", json={})
    await api.refused(
        "POST", f"{path}/reassign", 409, "enrollment_ended", json={"definition_id": successor["id"]}
    )
    await api.refused("POST", "/enrollments/424242/cancel", 404, "not_found", json={})
    async with api.sessions() as session:
        actions = (await session.exec(select(HistoryEntry.action))).all()
    assert "continue_with_set" in actions and "enrollment_cancelled" in actions

    # A new enrollment after the cancelled one is a new row (the old one stays for the record).
    fresh = await api.enroll(customer["id"], successor["id"])
    assert fresh["id"] != enrollment["id"] and await api.count(Enrollment) == 2
    enrollments = await api.ok("GET", f"/customers/{customer['id']}/enrollments")
    assert [e["state"] for e in enrollments] == ["active", "cancelled"]


async def test_status_without_a_workflow_shows_the_database_and_says_why(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    async with api.sessions() as session:
        row = Enrollment(
            customer_id=customer["id"],
            definition_id=workflow["id"],
            anchor_date=datetime.now(UTC).date(),
            enrolled_by="someone",
            workflow_id="enrollment-never-started",
        )
        session.add(row)
        await session.commit()
    status = await api.ok("GET", f"/enrollments/{row.id}")
    assert status["enrollment"]["id"] == row.id and status["workflow"] is None
    assert "does not exist" in status["workflow_error"]


async def test_timeline_matches_the_domain_rules(api: Api) -> None:
    workflow = await api.workflow(conditions=[{"metric": "outstanding", "operator": "gte", "value": "5000"}])
    customer = await api.customer()
    await api.invoice(due_in_days=20)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    body = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=3", Role.VIEWER)

    async with api.sessions() as session:
        row = (await session.exec(select(Enrollment).where(Enrollment.id == enrollment["id"]))).one()
        definition, steps = await load_definition(session, row.definition_id)
        customer_row = (await session.exec(select(Customer).where(Customer.id == customer["id"]))).one()
        ctx = enrollment_context(row, customer_row, await open_invoices(session, customer["id"]))
    expected = timeline(
        schedule_spec(definition, steps), ctx, OrgCalendar(), after=datetime.now(UTC), limit=3
    )
    assert [i["local_date"] for i in body["items"]] == [str(o.local_date) for o in expected]
    assert [i["at"] for i in body["items"]] == [o.at.isoformat().replace("+00:00", "Z") for o in expected]
    assert body["definition_name"] == "Net 30 reminders" and body["time_zone"] == "America/New_York"
    first = body["items"][0]
    assert first["invoice_number"] == "INV-1042" and first["recipients"] == ["ap@globex.example"]
    assert first["step_position"] == 1 and first["action"] == "customer_email"
    assert first["conditions_hold_today"] is False
    assert first["conditions"] == "Outstanding >= 5,000.00 USD (was 2,340.50 USD)"
    assert body["items"][2]["action"] == "task" and body["items"][2]["recipients"] == []
    await api.refused("GET", f"/enrollments/{enrollment['id']}/timeline?limit=0", 422)
    await api.refused("GET", "/enrollments/424242/timeline", 404, "not_found")


async def test_the_timeline_does_not_show_a_pause_whose_end_date_has_passed(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    await api.invoice(due_in_days=20)
    enrollment = await api.enroll(customer["id"], workflow["id"])
    path = f"/enrollments/{enrollment['id']}/timeline?limit=1"
    async with api.sessions() as session:
        row = (await session.exec(select(Customer).where(Customer.id == customer["id"]))).one()
        row.paused, row.pause_reason, row.paused_by = True, "promise to pay", "support@acme.example"
        row.paused_until = datetime.now(UTC) + timedelta(days=2)
        session.add(row)
        await session.commit()
    assert (await api.ok("GET", path, Role.VIEWER))["paused"] is True
    async with api.sessions() as session:
        row = (await session.exec(select(Customer).where(Customer.id == customer["id"]))).one()
        row.paused_until = datetime.now(UTC) - timedelta(minutes=1)  # ended; the engine not awake yet
        session.add(row)
        await session.commit()
    assert (await api.ok("GET", path, Role.VIEWER))["paused"] is False
