"""The workflow editor, Settings and Users & keys in a real browser: Playwright driving Debian's
Chromium against the app served by uvicorn over the test's Postgres, Temporal and worker."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright, expect

from domain.enums import Role
from tests.console.conftest import Console, htmx_settled, signed_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_an_ar_manager_creates_a_template_and_a_two_step_workflow_from_the_console_alone(
    chromium: str, console: Console, served: str
) -> None:
    async with signed_in_page(chromium, served, console.api.keys[Role.AR_MANAGER]) as page:
        await page.get_by_role("link", name="Templates").click()
        await page.get_by_role("link", name="New template").click()
        await page.get_by_label("Name", exact=True).fill("First reminder")
        await page.get_by_label("Subject").fill("Invoice {{ invoice.number }}")
        await page.get_by_label("Text body").fill("{{ invoice.balance_due_text }} is due soon.")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Saved.")).to_be_visible()

        await page.get_by_role("link", name="Workflows").click()
        await page.get_by_role("link", name="New workflow").click()
        async with htmx_settled(page):
            await page.get_by_label("Kind").select_option("assignment")  # htmx: the anchor follows the kind
        await expect(page.get_by_label("Before or after the enrollment date (step 1)")).to_be_visible()
        async with htmx_settled(page):
            await page.get_by_label("Kind").select_option("invoice")
        await expect(page.get_by_label("Before or after the due date (step 1)")).to_be_visible()
        await page.get_by_label("Name", exact=True).fill("Friendly net 30")
        await page.get_by_label("Days (step 1)", exact=True).fill("3")
        await page.get_by_label("Before or after the due date (step 1)").select_option("before")
        await page.get_by_label("Template (step 1)").select_option(label="First reminder (email)")
        async with htmx_settled(page):
            await page.get_by_role("button", name="Add a step").click()  # htmx swaps the form in place
        step_two = page.get_by_label("Days (step 2)", exact=True)
        await expect(step_two).to_be_focused()  # the keyboard carries on in the new row
        await expect(page.get_by_label("Days (step 1)", exact=True)).to_have_value("3")  # kept
        await step_two.fill("7")
        await page.get_by_label("Action (step 2)").select_option("task")
        await page.get_by_label("Parameters (step 2)").fill("title=Call the customer")
        await page.get_by_role("button", name="Create the workflow").click()

        await expect(page.get_by_role("heading", name="Friendly net 30")).to_be_visible()
        await expect(page.get_by_text("Saved (version 1).")).to_be_visible()
        await expect(page.get_by_text("3 days before the due date")).to_be_visible()
        await expect(page.get_by_text("7 days after the due date")).to_be_visible()

    (workflow,) = await console.api.ok("GET", "/workflows")
    (template,) = await console.api.ok("GET", "/templates")
    assert workflow["name"] == "Friendly net 30" and workflow["updated_by"] == "ar_manager@acme.example"
    steps = [(s["offset_days"], s["action"], s["template_id"], s["parameters"]) for s in workflow["steps"]]
    assert steps == [
        (-3, "customer_email", template["id"], {}),
        (7, "task", None, {"title": "Call the customer"}),
    ]


async def test_an_admin_changes_the_send_time_and_time_zone_in_settings(
    chromium: str, console: Console, served: str
) -> None:
    async with signed_in_page(chromium, served, console.api.keys[Role.ADMIN]) as page:
        await page.get_by_role("link", name="Settings").click()
        await page.get_by_label("Send time (local)").fill("09:15")
        await page.get_by_label("Time zone").select_option("Europe/Paris")
        await page.get_by_label("Business days only").check()
        await page.get_by_role("button", name="Save settings").click()
        await expect(page.get_by_role("status")).to_contain_text("Saved.")
        await expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    stored = await console.api.ok("GET", "/settings")
    assert (stored["send_time"], stored["time_zone"], stored["business_days_only"]) == (
        "09:15",
        "Europe/Paris",
        True,
    )
    assert stored["updated_by"] == "admin@acme.example"


async def test_an_owner_issues_a_key_sees_it_once_and_it_signs_in(
    chromium: str, console: Console, served: str
) -> None:
    async with signed_in_page(chromium, served, console.api.keys[Role.OWNER]) as page:
        await page.get_by_role("link", name="Users & keys").click()
        await page.get_by_role("link", name="support person").click()
        await page.get_by_label("Key name").fill("help desk")
        await page.get_by_role("button", name="Issue a key").click()
        await expect(page.get_by_text("shown only this once")).to_be_visible()
        secret = await page.get_by_role("textbox", name="API key", exact=True).input_value()
        assert secret.startswith("ak_")
        await expect(page.get_by_role("button", name="Revoke key help desk")).to_be_visible()
        await page.get_by_role("navigation").get_by_role("link", name="Users & keys").click()
        await page.get_by_role("link", name="support person").click()
        await expect(page.get_by_text("shown only this once")).to_have_count(0)
        assert secret not in await page.content()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{served}/console/sign-in")
            await page.get_by_label("API key").fill(secret)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
            await expect(page.get_by_text("(support)")).to_be_visible()
        finally:
            await browser.close()
