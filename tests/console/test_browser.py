"""The console in a real browser: Playwright driving Debian's Chromium (never a downloaded one)
against the app served by uvicorn over the test's Postgres, Temporal and worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import async_playwright, expect

from domain.enums import Role
from tests.console.conftest import Console

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
            await page.get_by_label("API key").fill(console.api.keys[Role.SUPPORT])
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Customers")).to_be_visible()

            await page.get_by_label("Name or external id").fill("globex")
            await page.get_by_role("button", name="Search").click()
            await expect(page.get_by_role("link", name="Initech")).to_have_count(0)
            await page.get_by_role("link", name="Globex Corporation").click()
            await expect(page.get_by_role("heading", name="Globex Corporation")).to_be_visible()

            await page.get_by_label("Reason").fill("Promise to pay Friday")
            await page.get_by_label("Until (optional)").fill(friday.isoformat())
            await page.get_by_role("button", name="Pause the customer").click()

            status = page.locator("#pause-status")
            await expect(status).to_contain_text("Paused")
            await expect(status).to_contain_text("Promise to pay Friday")
            await expect(page.get_by_text("nothing below is sent until the pause ends")).to_be_visible()
            await expect(page.locator("table").last).to_contain_text("support@acme.example")

            # One invoice paused in place by htmx (the row swapped, the page not reloaded).
            await page.get_by_role("button", name="Pause invoice INV-1042").click()
            await expect(page.get_by_role("button", name="Resume invoice INV-1042")).to_be_visible()
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
