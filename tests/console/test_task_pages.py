"""The Tasks page: a specialist's open tasks, every open task for managers, and closing one
through the service (and rule) of the API's `POST /tasks/{id}/complete`."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.async_api import expect

from domain.enums import Role
from models import Task
from tests.console.conftest import Console, signed_in_page


async def tasks_for_specialist_and_owner(console: Console) -> tuple[int, int, int]:
    """A customer with a task for the specialist and one for the owner: their ids."""
    customer = await console.api.customer()
    specialist, owner = console.api.users[Role.AR_SPECIALIST], console.api.users[Role.OWNER]
    async with console.api.sessions() as session:
        mine = Task(
            customer_id=customer["id"], assignee_id=specialist.id, title="Call AP", due_date=date(2026, 3, 2)
        )
        theirs = Task(customer_id=customer["id"], assignee_id=owner.id, title="Not yours")
        session.add_all([mine, theirs])
        await session.commit()
        assert mine.id is not None and theirs.id is not None
        return customer["id"], mine.id, theirs.id


async def test_a_specialist_sees_their_open_tasks_and_a_manager_every_open_task(console: Console) -> None:
    await tasks_for_specialist_and_owner(console)
    specialist = await console.sign_in(Role.AR_SPECIALIST)
    page = (await specialist.get("/console/tasks")).text
    assert "My open tasks" in page and "Call AP" in page and "Globex" in page and "Mar 2, 2026" in page
    assert "Not yours" not in page and "All open tasks" not in page
    assert "Close task “Call AP”</button>" in page
    manager = await console.sign_in(Role.AR_MANAGER)
    everything = (await manager.get("/console/tasks")).text
    assert "All open tasks" in everything and "Call AP" in everything and "Not yours" in everything
    assert "No open task is assigned to you" in everything  # none is the manager's own


async def test_closing_a_task_records_who_closed_it(console: Console) -> None:
    customer_id, mine, _ = await tasks_for_specialist_and_owner(console)
    browser = await console.sign_in(Role.AR_SPECIALIST)
    await browser.get("/console/tasks")
    closed = await browser.http.post(
        f"/console/tasks/{mine}/complete", headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf}
    )
    assert closed.status_code == 200 and closed.text.lstrip().startswith(f'<tr id="task-{mine}">')
    assert "Done by ar_specialist@acme.example" in closed.text and "Close task" not in closed.text
    stored = await console.api.ok("GET", f"/tasks?customer_id={customer_id}&status=done")
    assert [(t["id"], t["completed_by"]) for t in stored["items"]] == [(mine, "ar_specialist@acme.example")]
    history = await console.api.ok("GET", f"/customers/{customer_id}/history")
    assert history["items"][0]["action"] == "task_completed"
    assert history["items"][0]["actor"] == "ar_specialist@acme.example"
    assert "Call AP" not in (await browser.get("/console/tasks")).text
    again = await browser.post(f"/console/tasks/{mine}/complete")
    assert again.status_code == 409 and "is done" in again.text


async def test_a_specialist_is_refused_someone_elses_task_next_to_its_button(console: Console) -> None:
    customer_id, _, theirs = await tasks_for_specialist_and_owner(console)
    browser = await console.sign_in(Role.AR_SPECIALIST)
    await browser.get("/console/tasks")
    refused = await browser.http.post(
        f"/console/tasks/{theirs}/complete", headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf}
    )
    assert refused.status_code == 403 and refused.text.lstrip().startswith(f'<tr id="task-{theirs}">')
    assert f'id="task-{theirs}-error" role="alert">this task is assigned to someone else' in refused.text
    assert (await console.api.ok("GET", f"/tasks?customer_id={customer_id}&status=open"))["total"] == 2
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/tasks")
    assert (await manager.post(f"/console/tasks/{theirs}/complete")).status_code == 303
    assert (await console.api.ok("GET", f"/tasks?customer_id={customer_id}&status=done"))["total"] == 1


async def test_a_viewer_sees_no_close_button_and_the_server_refuses_it(console: Console) -> None:
    _, mine, _ = await tasks_for_specialist_and_owner(console)
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get("/console/tasks")).text
    assert "No open task is assigned to you" in page and "Close task" not in page
    refused = await browser.post(f"/console/tasks/{mine}/complete")
    assert refused.status_code == 403 and "Your role (viewer) may not do this" in refused.text
    assert (await console.api.ok("GET", "/tasks?status=open"))["total"] == 2


@pytest.mark.e2e
@pytest.mark.slow
async def test_in_the_browser_a_specialist_closes_a_task_and_reads_why_another_is_not_closed(
    chromium: str, console: Console, served: str
) -> None:
    customer_id, mine, _ = await tasks_for_specialist_and_owner(console)
    async with console.api.sessions() as session:
        other = Task(
            customer_id=customer_id, assignee_id=console.api.users[Role.AR_SPECIALIST].id, title="Email AP"
        )
        session.add(other)
        await session.commit()
        other_id = other.id
    async with signed_in_page(chromium, served, console.api.keys[Role.AR_SPECIALIST]) as page:
        await page.get_by_role("link", name="Tasks").click()
        await page.get_by_role("button", name="Close task “Call AP”").click()
        await expect(page.locator(f"#task-{mine}")).to_contain_text("Done by ar_specialist@acme.example")
        # Closed elsewhere meanwhile: the refusal appears in the task's own row.
        await console.api.ok("POST", f"/tasks/{other_id}/complete", Role.AR_MANAGER)
        await page.get_by_role("button", name="Close task “Email AP”").click()
        await expect(page.locator(f"#task-{other_id}").get_by_role("alert")).to_contain_text(
            f"task {other_id} is done"
        )
    done = await console.api.ok("GET", f"/tasks?customer_id={customer_id}&status=done")
    assert {t["completed_by"] for t in done["items"]} == {
        "ar_specialist@acme.example",
        "ar_manager@acme.example",
    }
