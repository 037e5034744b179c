"""The Workflows page: every workflow with its ON/OFF switch, which calls the same service (and
role rule) as the API's enable / disable routes."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from domain.enums import Role
from tests.console.conftest import Console, signed_in_page


async def test_the_workflow_list_shows_each_workflow_with_its_switch(console: Console) -> None:
    await console.api.workflow()
    await console.api.workflow(name="Net 60 reminders")
    browser = await console.sign_in(Role.AR_MANAGER)
    page = (await browser.get("/console/workflows")).text
    assert "Net 30 reminders" in page and "Net 60 reminders" in page and "2 workflows" in page
    assert "Switch Net 30 reminders OFF</button>" in page and 'class="badge on">ON' in page
    assert 'href="/console/workflows" aria-current="page"' in page


async def test_an_empty_workflow_list_says_how_to_create_one(console: Console) -> None:
    browser = await console.sign_in(Role.VIEWER)
    page = await browser.get("/console/workflows")
    assert page.status_code == 200 and "No workflows yet" in page.text and "POST /workflows" in page.text


async def test_a_manager_switches_a_workflow_off_and_on_again(console: Console) -> None:
    definition = await console.api.workflow()
    browser = await console.sign_in(Role.AR_MANAGER)
    await browser.get("/console/workflows")
    off = await browser.http.post(
        f"/console/workflows/{definition['id']}/disable",
        headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf},
    )
    assert off.status_code == 200
    assert off.text.lstrip().startswith(f'<tr id="workflow-{definition["id"]}">')
    assert 'class="badge off">OFF' in off.text and "Switch Net 30 reminders ON</button>" in off.text
    stored = await console.api.ok("GET", f"/workflows/{definition['id']}")
    assert stored["enabled"] is False and stored["updated_by"] == "ar_manager@acme.example"
    # OFF refuses new enrollments, as through the API.
    customer = await console.api.customer()
    await console.api.refused(
        "POST",
        f"/customers/{customer['id']}/enrollment",
        409,
        "definition_disabled",
        json={"definition_id": definition["id"]},
    )
    on = await browser.post(f"/console/workflows/{definition['id']}/enable")  # a plain form
    assert on.status_code == 303 and on.headers["location"] == "/console/workflows"
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["enabled"] is True
    assert 'class="badge on">ON' in (await browser.get("/console/workflows")).text


async def test_a_viewer_sees_no_switch_and_the_server_refuses_it(console: Console) -> None:
    definition = await console.api.workflow()
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get("/console/workflows")).text
    assert "Net 30 reminders" in page and "Switch Net 30 reminders" not in page
    assert "can read the workflows but not switch them" in page
    refused = await browser.post(f"/console/workflows/{definition['id']}/disable")
    assert refused.status_code == 403 and "Your role (viewer) may not do this" in refused.text
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["enabled"] is True


async def test_a_switch_without_the_csrf_token_or_of_an_unknown_workflow_is_refused(console: Console) -> None:
    definition = await console.api.workflow()
    browser = await console.sign_in(Role.AR_MANAGER)
    forged = await browser.http.post(
        f"/console/workflows/{definition['id']}/disable", data={"csrf_token": "x"}
    )
    assert forged.status_code == 403 and "did not come from the console" in forged.text
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["enabled"] is True
    missing = await browser.http.post(
        "/console/workflows/999999/disable", headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf}
    )
    assert missing.status_code == 404 and missing.headers["hx-retarget"] == "#flash"
    assert "workflow definition 999999 does not exist" in missing.text and "Traceback" not in missing.text


@pytest.mark.e2e
@pytest.mark.slow
async def test_in_the_browser_a_manager_switches_a_workflow_off_in_place(
    chromium: str,
    console: Console,
    served: str,
) -> None:
    definition = await console.api.workflow()
    async with signed_in_page(chromium, served, console.api.keys[Role.AR_MANAGER]) as page:
        await page.get_by_role("link", name="Workflows").click()
        row = page.locator(f"#workflow-{definition['id']}")
        await expect(row).to_contain_text("ON")
        await page.get_by_role("button", name="Switch Net 30 reminders OFF").click()
        await expect(page.get_by_role("button", name="Switch Net 30 reminders ON")).to_be_visible()
        await expect(row).to_contain_text("OFF")
        assert page.url.endswith("/console/workflows")  # swapped in place by htmx
    assert (await console.api.ok("GET", f"/workflows/{definition['id']}"))["enabled"] is False


async def test_a_page_for_a_workflow_user_or_promise_that_does_not_exist_says_so(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    await owner.get("/console/workflows")
    for path, title in (
        ("/console/workflows/999999/edit", "Workflow definition not found"),
        ("/console/users/999999", "User not found"),
    ):
        response = await owner.get(path)
        assert response.status_code == 404 and title in response.text, (path, response.text[:300])
    cancelled = await owner.post("/console/promises/999999/cancel")
    assert cancelled.status_code == 404 and "promise 999999 does not exist" in cancelled.text
