"""Tasks and deliveries through the API."""

from __future__ import annotations

from domain.enums import Role
from models import Delivery, Task
from tests.api.conftest import Api


async def test_tasks_are_listed_and_completed_by_specialists(api: Api) -> None:
    customer = await api.customer()
    specialist = api.users[Role.AR_SPECIALIST]
    async with api.sessions() as session:
        session.add(Task(customer_id=customer["id"], assignee_id=specialist.id, title="Call AP"))
        session.add(Task(customer_id=customer["id"], assignee_id=api.users[Role.OWNER].id, title="Not yours"))
        await session.commit()
    page = await api.ok("GET", f"/tasks?assignee_id={specialist.id}&status=open", Role.AR_SPECIALIST)
    assert [t["title"] for t in page["items"]] == ["Call AP"] and page["total"] == 1
    task_id = page["items"][0]["id"]
    done = await api.ok("POST", f"/tasks/{task_id}/complete", Role.AR_SPECIALIST)
    assert done["status"] == "done" and done["completed_by"] == specialist.email
    await api.refused("POST", f"/tasks/{task_id}/complete", 409, "task_closed", Role.AR_SPECIALIST)
    theirs = await api.ok("GET", f"/tasks?customer_id={customer['id']}&status=open")
    await api.refused(
        "POST", f"/tasks/{theirs['items'][0]['id']}/complete", 403, "forbidden", Role.AR_SPECIALIST
    )
    await api.ok("POST", f"/tasks/{theirs['items'][0]['id']}/complete", Role.AR_MANAGER)
    await api.refused("POST", "/tasks/424242/complete", 404, "not_found")
    await api.refused("GET", "/tasks?status=someday", 422, "invalid_input")
    history = await api.ok("GET", f"/customers/{customer['id']}/history")
    assert [h["action"] for h in history["items"]] == ["task_completed", "task_completed"]


async def test_deliveries_are_listed_by_customer_and_status(api: Api) -> None:
    customer = await api.customer()
    other = await api.customer("QB-2")
    async with api.sessions() as session:
        for n, (owner, status) in enumerate([(customer, "sent"), (customer, "failed"), (other, "sent")]):
            session.add(
                Delivery(
                    idempotency_key=f"k{n}",
                    occurrence_key=f"o{n}",
                    customer_id=owner["id"],
                    channel="email",
                    text_body="Hello",
                    status=status,
                )
            )
        await session.commit()
    mine = await api.ok("GET", f"/deliveries?customer_id={customer['id']}", Role.VIEWER)
    assert mine["total"] == 2 and [d["status"] for d in mine["items"]] == ["failed", "sent"]
    sent = await api.ok("GET", "/deliveries?status=sent&limit=1", Role.SUPPORT)
    assert sent["total"] == 2 and len(sent["items"]) == 1
    assert "text_body" not in sent["items"][0]
    await api.refused("GET", "/deliveries?status=lost", 422, "invalid_input")
    assert await api.count(Delivery) == 3
