"""The console in a real browser: Playwright driving Debian's Chromium (never a downloaded one)
against the app served by uvicorn over the test's Postgres, Temporal and worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import async_playwright, expect

from domain.enums import Role
from models import Delivery
from tests.api.conftest import AUTOPAY_WORKFLOW
from tests.console.axe import assert_accessible
from tests.console.conftest import Console, signed_in_page
from tests.console.test_task_pages import tasks_for_specialist_and_owner
from tests.console.test_template_pages import TEMPLATE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
# The `chromium` and `served` fixtures are in conftest.py (the other pages' browser tests use them).


async def test_support_finds_a_customer_pauses_it_until_a_date_and_sees_the_pause(
    chromium: str, console: Console, served: str
) -> None:
    executable = chromium
    definition = await console.api.workflow()
    customer = await console.api.customer("QB-77", name="Globex Corporation")
    await console.api.customer("QB-78", name="Initech")
    enrollment = await console.api.enroll(customer["id"], definition["id"])
    await console.api.invoice("QB-77")
    friday = await console.api.today() + timedelta(days=3)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{served}/")
            await assert_accessible(page)
            await page.get_by_label("API key").fill(console.api.keys[Role.SUPPORT])
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Customers")).to_be_visible()

            await page.get_by_label("Name or external id").fill("globex")
            await page.get_by_role("button", name="Search").click()
            await expect(page.get_by_role("link", name="Initech")).to_have_count(0)
            await assert_accessible(page)
            await page.get_by_role("link", name="Globex Corporation").click()
            await expect(page.get_by_role("heading", name="Globex Corporation")).to_be_visible()
            await assert_accessible(page)

            await page.get_by_label("Reason").fill("Promise to pay Friday")
            await page.get_by_label("Until (optional)").fill(friday.isoformat())
            await page.get_by_role("button", name="Pause the customer").click()

            status = page.locator("#pause-status")
            await expect(status).to_contain_text("Paused")
            await expect(status).to_contain_text("Promise to pay Friday")
            # Why nothing will be sent: the pause, its end and its reason, above the timeline.
            why = page.locator("#why-nothing")
            await expect(why).to_contain_text("nothing below is sent until the pause ends")
            await expect(why).to_contain_text(f"sending resumes {friday.strftime('%b %-d, %Y')}")
            await expect(why).to_contain_text("“Promise to pay Friday”, support@acme.example")
            await expect(page.locator("table").last).to_contain_text("support@acme.example")
            await expect(status).to_contain_text(friday.strftime("%b %-d, %Y"))
            await assert_accessible(page)

            # One invoice paused in place by htmx (the row swapped, the page not reloaded).
            await page.get_by_role("button", name="Pause invoice INV-1042").click()
            await expect(page.get_by_role("button", name="Resume invoice INV-1042")).to_be_visible()

            # What the workflow waits for, in its own words, once it has read the pause.
            async def waits_for_the_pause_end() -> bool:
                await page.reload()
                return "Paused by support@acme.example" in await page.locator("#waits-for").inner_text()

            await console.api.eventually(waits_for_the_pause_end)
            # The history filtered to its pauses: the pause is there, the enrollment is not.
            await page.get_by_label("Show").select_option(label="Pauses and resumes")
            await page.get_by_role("button", name="Filter the history").click()
            history = page.locator("table").last
            await expect(history).to_contain_text("Promise to pay Friday")
            await expect(history).not_to_contain_text("enrolled")
            await expect(page.get_by_role("link", name="Show everything")).to_be_visible()
            await assert_accessible(page)
        finally:
            await browser.close()

    stored = await console.api.ok("GET", f"/customers/{customer['id']}")
    assert stored["paused_by"] == "support@acme.example" and stored["paused_until"].startswith(str(friday))
    invoices = await console.api.ok("GET", f"/customers/{customer['id']}/invoices")
    assert invoices["items"][0]["paused"] is True

    async def workflow_reports_the_pause() -> bool:
        status = await console.api.ok("GET", f"/enrollments/{enrollment['id']}")
        live = status["workflow"]
        return live is not None and live["paused"] and live["pause_reason"] == "Promise to pay Friday"

    await console.api.eventually(workflow_reports_the_pause)


async def test_an_ar_manager_sets_the_workflow_of_fifty_customers_and_watches_the_progress_bar_finish(
    chromium: str, console: Console, served: str
) -> None:
    definition = await console.api.workflow()
    await console.api.workflow(**AUTOPAY_WORKFLOW)
    batch = [
        {"external_id": f"B-{i:02}", "name": f"Bulk customer {i:02}", "autopay": i == 7} for i in range(50)
    ]
    await console.api.ok("POST", "/customers/batch", json={"customers": batch})
    await console.api.customer("OTHER-1", name="Already enrolled elsewhere")

    async with signed_in_page(chromium, served, console.api.keys[Role.AR_MANAGER]) as page:
        await page.get_by_label("Name or external id").fill("bulk customer")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_role("link", name="Bulk customer 49")).to_be_visible()
        await page.get_by_label("Workflow to set").select_option(label=definition["name"])
        await page.get_by_label("all 50 customers matching the filters").check()
        await assert_accessible(page)
        await page.get_by_role("button", name="Set workflow").click()

        await expect(page.get_by_role("heading", name="Set workflow for 50 customers")).to_be_visible()
        bar = page.locator("#bulk-bar")
        await expect(page.get_by_role("heading", name="Finished")).to_be_visible(timeout=60_000)
        await expect(bar).to_have_attribute("value", "50")
        await expect(page.locator("#bulk-count")).to_have_text("50 of 50 done")
        await expect(page.get_by_text("49 enrolled", exact=True)).to_be_visible()
        refused = page.get_by_role("row", name="Bulk customer 07")
        await expect(refused).to_contain_text("refused")
        await expect(refused).to_contain_text("auto-pay")
        await assert_accessible(page)

    listed = await console.api.ok("GET", "/customers", params={"search": "Bulk customer", "limit": 100})
    enrolled = 0
    for customer in listed["items"]:
        enrolled += len(await console.api.ok("GET", f"/customers/{customer['id']}/enrollments"))
    assert enrolled == 49
    other = await console.api.ok("GET", "/customers", params={"search": "OTHER-1"})
    assert await console.api.ok("GET", f"/customers/{other['items'][0]['id']}/enrollments") == []


async def test_every_console_page_has_no_serious_or_critical_accessibility_violation(
    chromium: str, console: Console, served: str
) -> None:
    """axe-core on each page as its users see it, with data in it (and an empty state, a refusal)."""
    definition = await console.api.workflow()
    customer = await console.api.customer("QB-77", name="Globex Corporation")
    await console.api.customer("QB-78", name="Initech", parent_external_id="QB-77", bill_to_parent=True)
    await console.api.enroll(customer["id"], definition["id"])
    await console.api.invoice("QB-77")
    template = await console.api.ok("POST", "/templates", status=201, json=TEMPLATE)
    _, task_id, _ = await tasks_for_specialist_and_owner(console)
    async with console.api.sessions() as session:
        delivery = Delivery(
            idempotency_key="k-axe",
            occurrence_key="o-axe",
            customer_id=customer["id"],
            channel="email",
            recipients=[{"address": "ap@globex.example"}],
            subject="Invoice INV-1042",
            html_body="<p>Please pay INV-1042</p>",
            text_body="Please pay INV-1042",
            status="sent",
        )
        session.add(delivery)
        await session.commit()
        delivery_id = delivery.id
    job = await console.api.ok(
        "POST",
        "/enrollments/bulk",
        status=202,
        json={"definition_id": definition["id"], "customer_ids": [customer["id"]]},
    )

    users = await console.api.ok("GET", "/users")
    owner_id = next(u["id"] for u in users if u["role"] == "owner")
    pages = [
        "/console/customers",
        "/console/customers?enrollment=none&search=nobody",
        f"/console/customers/{customer['id']}",
        f"/console/bulk/{job['job_id']}",
        "/console/workflows",
        "/console/workflows/new",
        f"/console/workflows/{definition['id']}",
        f"/console/workflows/{definition['id']}/edit",
        f"/console/workflows/{definition['id']}/versions",
        f"/console/workflows/{definition['id']}/versions/1",
        "/console/settings",
        "/console/users",
        f"/console/users/{owner_id}",
        "/console/templates",
        "/console/templates/new",
        f"/console/templates/{template['id']}",
        "/console/tasks",
        "/console/deliveries",
        f"/console/deliveries/{delivery_id}",
        "/console/replies",
        "/console/customers/999999",
    ]
    async with signed_in_page(chromium, served, console.api.keys[Role.OWNER]) as page:
        for path in pages:
            await page.goto(f"{served}{path}")
            await expect(page.locator("h1")).to_be_visible()
            await assert_accessible(page)
        await page.goto(f"{served}/console/tasks")
        await expect(page.locator(f"#task-{task_id}")).to_be_visible()
    async with signed_in_page(chromium, served, console.api.keys[Role.VIEWER]) as page:
        await page.goto(f"{served}/console/customers/{customer['id']}")  # no change forms
        await assert_accessible(page)
        await page.goto(f"{served}/console/sign-in/link?token=ak_000000000000_nope")
        await expect(page.get_by_text("This sign-in link is not valid.")).to_be_visible()
        await assert_accessible(page)


async def test_the_accessibility_check_fails_on_a_serious_violation(chromium: str) -> None:
    """The check above is not vacuous: an unlabelled field and an image without text fail it."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.set_content(
                "<!doctype html><html lang='en'><title>t</title><main><h1>t</h1>"
                "<img src='data:,'><input type='text'></main></html>"
            )
            with pytest.raises(AssertionError) as failed:
                await assert_accessible(page)
        finally:
            await browser.close()
    assert "critical image-alt" in str(failed.value) and "label" in str(failed.value)


async def test_on_a_fresh_install_every_list_says_what_to_do_next(
    chromium: str, console: Console, served: str
) -> None:
    """Each list's empty state, read by an owner before anything exists (axe on each)."""
    async with signed_in_page(chromium, served, console.api.keys[Role.OWNER]) as page:
        empty = page.locator(".empty")
        await expect(empty.first).to_contain_text("No customers yet")
        await assert_accessible(page)
        for link, says in [
            ("Workflows", "No workflows yet"),
            ("Templates", "No templates yet"),
            ("Tasks", "No open task is assigned to you"),
            ("Deliveries", "Nothing has been sent yet"),
        ]:
            await page.get_by_role("link", name=link, exact=True).click()
            await expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()
            await expect(empty.first).to_contain_text(says)
            await assert_accessible(page)
        await page.get_by_role("link", name="Tasks", exact=True).click()
        await expect(empty.last).to_contain_text("add such a step to a workflow")
        customer = await console.api.customer("QB-1", name="Globex Corporation", contacts=[])
        await page.goto(f"{served}/console/customers/{customer['id']}")
        await expect(page.locator("#history-empty")).to_contain_text("Nothing has happened")
        await expect(page.get_by_text("No contacts: reminders have nobody to go to.")).to_be_visible()
        await expect(page.get_by_text("No invoices.")).to_be_visible()
        await expect(page.get_by_text("Not enrolled in any workflow")).to_be_visible()
        await assert_accessible(page)
        await page.get_by_role("link", name="Messages sent to Globex Corporation").click()
        await expect(empty.first).to_contain_text("Nothing has been sent to this customer yet")
        await assert_accessible(page)
