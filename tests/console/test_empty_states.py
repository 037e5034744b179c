"""Every list of the console says what to do next when it is empty (the browser walk of a fresh
install in test_browser.py checks them with axe)."""

from __future__ import annotations

from sqlmodel import col, delete

from domain.enums import Role
from models import ApiKey, User
from tests.console.conftest import Console


async def test_an_empty_list_says_where_its_rows_come_from(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    assert (
        "No customers yet. Sync them from your accounting system"
        in (await owner.get("/console/customers")).text
    )
    assert "No workflows yet." in (await owner.get("/console/workflows")).text
    assert "No templates yet. Create one with “New template”" in (await owner.get("/console/templates")).text
    tasks = (await owner.get("/console/tasks")).text
    assert "No open task is assigned to you. Workflows create tasks" in tasks
    assert 'add such a step to a workflow in <a href="/console/workflows">Workflows</a>' in tasks
    assert "Deliveries appear here when an enrolled customer" in (await owner.get("/console/deliveries")).text
    customer = await console.api.customer(contacts=[])
    page = (await owner.get(f"/console/customers/{customer['id']}")).text
    assert "No contacts: reminders have nobody to go to. Add one below." in page
    assert "No invoices. They arrive with the accounting sync" in page
    assert "Not enrolled in any workflow: nothing will be sent. Enroll it below." in page
    assert "Nothing is planned while the customer is not enrolled." in page
    assert "Nothing has happened to this customer yet. Its history starts when" in page
    sent = (await owner.get("/console/deliveries", params={"customer": customer["id"]})).text
    assert f'Its <a href="/console/customers/{customer["id"]}">customer\n  page</a> says what' in sent


async def test_the_users_list_of_a_lone_owner_says_whom_to_add(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    many = (await owner.get("/console/users")).text
    assert 'id="users-empty"' not in many
    lone = console.api.users[Role.OWNER].id
    async with console.api.sessions() as session:
        await session.exec(delete(ApiKey).where(col(ApiKey.user_id) != lone))  # type: ignore[call-overload]
        await session.exec(delete(User).where(col(User.id) != lone))  # type: ignore[call-overload]
        await session.commit()
    page = (await owner.get("/console/users")).text
    assert 'id="users-empty">Only you so far. Add the people who work the receivables below' in page
