"""The customer list and the customer page: what a support person reads and pauses, through the
same services (and role rule) as the API."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from domain.enums import Role
from models import Enrollment
from tests.console.conftest import Console


async def test_the_customer_list_searches_by_name_or_external_id_and_filters_paused(
    console: Console,
) -> None:
    await console.api.customer("QB-1", name="Globex")
    initech = await console.api.customer("QB-2", name="Initech")
    await console.api.ok("POST", f"/customers/{initech['id']}/pause", json={"reason": "Dispute"})
    browser = await console.sign_in(Role.VIEWER)
    everyone = (await browser.get("/console/customers")).text
    assert "Globex" in everyone and "Initech" in everyone and "Last Action By" in everyone
    by_id = (await browser.get("/console/customers", params={"search": "qb-2"})).text
    assert "Initech" in by_id and "Globex" not in by_id
    paused = (await browser.get("/console/customers", params={"paused": "yes"})).text
    assert "Initech" in paused and "Globex" not in paused and "admin@acme.example" in paused
    nothing = (await browser.get("/console/customers", params={"search": "Umbrella"})).text
    assert "No customer matches these filters" in nothing


async def test_an_empty_customer_list_says_how_customers_arrive(console: Console) -> None:
    browser = await console.sign_in(Role.VIEWER)
    assert "No customers yet" in (await browser.get("/console/customers")).text


async def test_the_customer_page_shows_enrollment_next_steps_invoices_and_history(console: Console) -> None:
    definition = await console.api.workflow()
    customer = await console.api.customer()
    await console.api.enroll(customer["id"], definition["id"])
    await console.api.invoice(due_in_days=10, total="2340.50", balance_due="2340.50")
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "Net 30 reminders" in page and "What happens next" in page
    assert "INV-1042" in page and "$2,340.50" in page
    assert "/namespaces/default/workflows/enrollment-" in page
    assert "Date</th>" in page and "Description</th>" in page
    missing = await browser.get("/console/customers/999999")
    assert missing.status_code == 404 and "customer 999999 does not exist" in missing.text
    assert "Traceback" not in missing.text


async def test_a_viewer_sees_no_pause_button_and_the_server_refuses_the_pause(console: Console) -> None:
    customer = await console.api.customer()
    await console.api.invoice()
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "Pause the customer</button>" not in page and "Pause invoice" not in page
    assert "can read this customer but not pause" in page
    refused = await browser.post(f"/console/customers/{customer['id']}/pause", {"reason": "Promise to pay"})
    assert refused.status_code == 403 and "Your role (viewer) may not do this" in refused.text
    assert (await console.api.ok("GET", f"/customers/{customer['id']}"))["paused"] is False


async def test_a_pause_from_the_console_is_in_the_history_with_the_user_as_actor(console: Console) -> None:
    customer = await console.api.customer()
    browser = await console.sign_in(Role.SUPPORT)
    friday = await console.api.today() + timedelta(days=3)
    await browser.get(f"/console/customers/{customer['id']}")
    response = await browser.post(
        f"/console/customers/{customer['id']}/pause",
        {"reason": "Promise to pay Friday", "until": friday.isoformat()},
    )
    assert response.status_code == 303
    stored = await console.api.ok("GET", f"/customers/{customer['id']}")
    assert stored["paused"] is True and stored["pause_reason"] == "Promise to pay Friday"
    assert stored["paused_by"] == "support@acme.example" and stored["paused_until"].startswith(str(friday))
    history = await console.api.ok("GET", f"/customers/{customer['id']}/history")
    assert any(
        e["actor"] == "support@acme.example" and "Promise to pay Friday" in e["description"]
        for e in history["items"]
    )
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    assert "Paused" in page and "Promise to pay Friday" in page and "Resume the customer" in page
    resumed = await browser.post(f"/console/customers/{customer['id']}/resume")
    assert resumed.status_code == 303
    assert (await console.api.ok("GET", f"/customers/{customer['id']}"))["paused"] is False


async def test_a_refused_pause_is_explained_next_to_its_form(console: Console) -> None:
    customer = await console.api.customer()
    browser = await console.sign_in(Role.SUPPORT)
    await browser.get(f"/console/customers/{customer['id']}")
    yesterday = await console.api.today() - timedelta(days=1)
    past = await browser.post(
        f"/console/customers/{customer['id']}/pause", {"reason": "Late", "until": yesterday.isoformat()}
    )
    assert past.status_code == 422 and 'id="pause-error"' in past.text
    assert "until must be in the future" in past.text and 'value="Late"' in past.text
    blank = await browser.post(f"/console/customers/{customer['id']}/pause", {"reason": " "})
    assert blank.status_code == 422 and "Give a reason for the pause." in blank.text
    assert (await console.api.ok("GET", f"/customers/{customer['id']}"))["paused"] is False


async def test_pausing_one_invoice_with_htmx_swaps_its_row(console: Console) -> None:
    customer = await console.api.customer()
    invoice = await console.api.invoice()
    browser = await console.sign_in(Role.SUPPORT)
    await browser.get(f"/console/customers/{customer['id']}")
    response = await browser.http.post(
        f"/console/invoices/{invoice['id']}/pause",
        headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="invoice-{invoice["id"]}">')
    assert "Resume invoice INV-1042" in response.text
    assert (await console.api.ok("GET", f"/invoices/{invoice['id']}"))["paused"] is True
    history = await console.api.ok("GET", f"/customers/{customer['id']}/history")
    assert history["items"][0]["actor"] == "support@acme.example"


async def test_the_enrollment_says_what_its_workflow_waits_for_in_the_engines_own_words(
    console: Console,
) -> None:
    definition = await console.api.workflow()
    customer = await console.api.customer()
    await console.api.invoice(due_in_days=10)
    enrollment = await console.api.enroll(customer["id"], definition["id"])
    status_path = f"/enrollments/{enrollment['id']}"

    async def waiting() -> bool:
        status = await console.api.ok("GET", status_path)
        return bool(status["workflow"]) and status["workflow"]["details"].startswith("Waiting until")

    await console.api.eventually(waiting)
    details = (await console.api.ok("GET", status_path))["workflow"]["details"]
    browser = await console.sign_in(Role.SUPPORT)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    said = page[page.index('<dd id="waits-for">') : page.index("</dd>", page.index('<dd id="waits-for">'))]
    assert "Waits for</dt>" in page and details in html.unescape(said)

    await console.api.ok("POST", f"/customers/{customer['id']}/pause", json={"reason": "Promise to pay"})

    async def paused() -> bool:
        status = await console.api.ok("GET", status_path)
        return bool(status["workflow"]) and status["workflow"]["details"].startswith("Paused by")

    await console.api.eventually(paused)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    said = page[page.index('<dd id="waits-for">') : page.index("</dd>", page.index('<dd id="waits-for">'))]
    assert "Paused by admin@acme.example" in said and "Nothing is sent while paused" in said


async def test_when_the_workflow_cannot_answer_the_enrollment_says_its_next_step_and_why(
    console: Console,
) -> None:
    definition = await console.api.workflow()
    customer = await console.api.customer()
    await console.api.invoice(due_in_days=10)
    enrollment = await console.api.enroll(customer["id"], definition["id"])

    async def settled() -> bool:  # its plan saved, so that nothing writes the row after us
        status = await console.api.ok("GET", f"/enrollments/{enrollment['id']}")
        return bool(status["workflow"]) and status["workflow"]["details"].startswith("Waiting until")

    await console.api.eventually(settled)
    async with console.api.sessions() as session:
        row = await session.get(Enrollment, enrollment["id"])
        assert row is not None
        row.workflow_id = "enrollment-that-never-ran"
        row.next_step_at = datetime(2026, 12, 9, 19, 30, tzinfo=UTC)
        session.add(row)
        await session.commit()
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get(f"/console/customers/{customer['id']}")).text
    start = page.index('<dd id="waits-for">')
    said = html.unescape(page[start : page.index("</dd>", start)])
    assert "The next step, Dec 9, 2026, 2:30\u202fPM EST" in said
    assert "The workflow did not answer (the workflow does not exist" in said


async def test_a_customer_in_tokyo_shows_its_zone_and_each_next_step_in_both_local_times(
    console: Console,
) -> None:
    definition = await console.api.workflow()
    customer = await console.api.customer()
    await console.api.ok("PATCH", f"/customers/{customer['id']}", json={"time_zone": "Asia/Tokyo"})
    await console.api.invoice(due_in_days=10)
    await console.api.enroll(customer["id"], definition["id"])
    browser = await console.sign_in(Role.VIEWER)
    page = html.unescape((await browser.get(f"/console/customers/{customer['id']}")).text)
    assert "Asia/Tokyo (messages go at the send time there)" in page
    assert "Customer's time (Asia/Tokyo)" in page and "When (America/New_York)" in page
    assert "2:30" in page  # 14:30 in Tokyo, in the organization's locale
