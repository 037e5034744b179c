"""The Templates pages: the list, the editor saving through the services of the API's template
routes (same roles), sandbox errors next to their field with their line number, and the live
preview rendering the unsaved text against a real customer with the engine's render."""

from __future__ import annotations

import html

import pytest
from playwright.async_api import expect

from domain.enums import Role
from models import Template
from tests.console.axe import assert_accessible
from tests.console.conftest import Console, signed_in_page

TEMPLATE = {
    "name": "Friendly",
    "channel": "email",
    "subject": "Invoice {{ invoice.number }} for {{ customer.name }}",
    "html_body": "<p>Dear {{ customer.name }}, {{ invoice.balance_due_text }} is due.</p>",
    "text_body": "{{ invoice.balance_due_text }} due {{ invoice.due_date_text }}",
}


async def test_the_templates_page_lists_each_template_with_its_channel_and_update(console: Console) -> None:
    await console.api.ok("POST", "/templates", status=201, json={**TEMPLATE, "name": "Second notice"})
    manager = await console.sign_in(Role.AR_MANAGER)
    page = (await manager.get("/console/templates")).text
    assert 'href="/console/templates/new">New template</a>' in page and "New template" in page
    assert "Second notice</a>" in page and "<td>Email</td>" in page and "1 template;" in page
    assert '<a href="/console/templates" aria-current="page">Templates</a>' in page
    empty = await console.sign_in(Role.VIEWER)
    await console.api.ok(
        "DELETE", f"/templates/{(await console.api.ok('GET', '/templates'))[0]['id']}", status=204
    )
    assert "No templates yet." in (await empty.get("/console/templates")).text


async def test_a_manager_creates_and_edits_a_template_through_the_service(console: Console) -> None:
    manager = await console.sign_in(Role.AR_MANAGER)
    editor = (await manager.get("/console/templates/new")).text
    assert (
        '<label for="html_body">HTML body</label>' in editor
        and 'hx-trigger="input changed delay:500ms' in editor
    )
    created = await manager.post("/console/templates", TEMPLATE)
    assert created.status_code == 303, created.text
    [stored] = await console.api.ok("GET", "/templates")
    assert created.headers["location"] == f"/console/templates/{stored['id']}?saved=1"
    assert stored["subject"] == TEMPLATE["subject"] and stored["html_body"] == TEMPLATE["html_body"]
    page = (await manager.get(created.headers["location"])).text
    assert "Saved." in page and html.escape(TEMPLATE["text_body"]) in page
    changed = await manager.post(f"/console/templates/{stored['id']}", {**TEMPLATE, "text_body": "Hello"})
    assert changed.status_code == 303
    reread = await console.api.ok("GET", f"/templates/{stored['id']}")
    assert reread["text_body"] == "Hello" and reread["updated_at"] > stored["updated_at"]
    duplicate = await manager.post("/console/templates", TEMPLATE)
    assert duplicate.status_code == 409
    assert 'id="name-error" role="alert">a template named &#39;Friendly&#39; exists' in duplicate.text
    assert await console.api.count(Template) == 1


async def test_an_invalid_template_shows_its_line_next_to_the_field_and_saves_nothing(
    console: Console,
) -> None:
    manager = await console.sign_in(Role.AR_MANAGER)
    await manager.get("/console/templates/new")
    broken = {**TEMPLATE, "html_body": "<p>Hello</p>\n<p>{% if %}</p>"}
    refused = await manager.post("/console/templates", broken)
    assert refused.status_code == 422
    text = refused.text
    error_at = text.index('id="html_body-error" role="alert">')
    assert text.index('<textarea id="html_body"') < error_at < text.index('<label for="text_body">')
    assert "line 2" in text[error_at : text.index("</p>", error_at)]
    assert 'aria-describedby="html_body-error"' in text and html.escape("{% if %}") in text  # kept as typed
    forbidden = await manager.post("/console/templates", {**TEMPLATE, "subject": "{{ customer.__class__ }}"})
    assert forbidden.status_code == 422
    said = forbidden.text[forbidden.text.index('id="subject-error" role="alert">') :]
    assert "line 1" in said[: said.index("</p>")] and "unsafe" in said[: said.index("</p>")]
    assert await console.api.count(Template) == 0


async def test_the_live_preview_renders_the_unsaved_text_with_the_chosen_customers_data(
    console: Console,
) -> None:
    customer = await console.api.customer(name="Globex Corporation")
    await console.api.invoice(number="INV-7781")
    await console.api.customer("QB-2", name="Initech")
    viewer = await console.sign_in(Role.VIEWER)
    await viewer.get("/console/templates/new")
    choices = (await viewer.get("/console/templates/customers", params={"customer_search": "globex"})).text
    assert f'<option value="{customer["id"]}">Globex Corporation (QB-1)</option>' in choices
    assert "Initech" not in choices
    unsaved = {**TEMPLATE, "customer_id": str(customer["id"])}
    preview = await viewer.http.post(
        "/console/templates/preview",
        data=unsaved,
        headers={"HX-Request": "true", "X-CSRF-Token": viewer.csrf},
    )
    assert preview.status_code == 200, preview.text
    assert '<span class="preview-subject">Invoice INV-7781 for Globex Corporation</span>' in preview.text
    frame = '<iframe class="preview-html" title="HTML preview" sandbox="" srcdoc="'
    assert frame + "&lt;p&gt;Dear Globex Corporation" in preview.text
    assert "<p>Dear" not in preview.text  # the HTML is only ever in the sandboxed frame
    assert '<pre class="preview-text">$2,340.50 due' in preview.text
    broken = await viewer.http.post(
        "/console/templates/preview",
        data={**unsaved, "text_body": "ok\n{{ customer.__class__ }}"},
        headers={"HX-Request": "true", "X-CSRF-Token": viewer.csrf},
    )
    assert 'role="alert">' in broken.text and "line 2" in broken.text
    # Next to the field it concerns (htmx swaps it in out of band), the others cleared.
    beside = '<div id="text_body-live" class="live-error" hx-swap-oob="true"><p class="error" role="alert">'
    assert beside in broken.text and "line 2" in broken.text[broken.text.index(beside) :]
    assert '<div id="subject-live" class="live-error" hx-swap-oob="true"></div>' in broken.text
    undefined = await viewer.http.post(
        "/console/templates/preview",
        data={**unsaved, "subject": "Hello {{ customer.nickname }}"},
        headers={"HX-Request": "true", "X-CSRF-Token": viewer.csrf},
    )
    beside = '<div id="subject-live" class="live-error" hx-swap-oob="true"><p class="error" role="alert">'
    said = undefined.text[undefined.text.index(beside) :]
    assert "line 1" in said[: said.index("</p>")] and "nickname" in said[: said.index("</p>")]
    assert '<div id="text_body-live" class="live-error" hx-swap-oob="true"></div>' in undefined.text
    fixed = await viewer.http.post(
        "/console/templates/preview",
        data=unsaved,
        headers={"HX-Request": "true", "X-CSRF-Token": viewer.csrf},
    )
    assert 'role="alert"' not in fixed.text
    assert await console.api.count(Template) == 0  # previewing saves nothing


async def test_a_viewer_may_not_save_a_template(console: Console) -> None:
    saved = await console.api.ok("POST", "/templates", status=201, json=TEMPLATE)
    viewer = await console.sign_in(Role.VIEWER)
    editor = (await viewer.get(f"/console/templates/{saved['id']}")).text
    assert ">Save</button>" not in editor and "can preview this template but not save it" in editor
    assert (await viewer.post("/console/templates", {**TEMPLATE, "name": "Other"})).status_code == 403
    changed = await viewer.post(f"/console/templates/{saved['id']}", {**TEMPLATE, "text_body": "Hacked"})
    assert changed.status_code == 403
    assert (await console.api.ok("GET", f"/templates/{saved['id']}"))["text_body"] == TEMPLATE["text_body"]
    assert await console.api.count(Template) == 1


@pytest.mark.slow
async def test_in_the_browser_a_manager_edits_a_template_and_sees_the_preview_change(
    chromium: str, console: Console, served: str
) -> None:
    await console.api.customer(name="Globex Corporation")
    await console.api.invoice(number="INV-7781")
    async with signed_in_page(chromium, served, console.api.keys[Role.AR_MANAGER]) as page:
        await page.get_by_role("link", name="Templates").click()
        await page.get_by_role("link", name="New template").click()
        await page.get_by_label("Name", exact=True).fill("Friendly")
        await page.get_by_label("Subject").fill(TEMPLATE["subject"])
        await page.get_by_label("HTML body").fill(TEMPLATE["html_body"])
        await page.get_by_label("Text body").fill("Hello {{ customer.name }}")
        await page.get_by_label("Name or external id").fill("globex")
        await page.get_by_label("Customer", exact=True).select_option(label="Globex Corporation (QB-1)")
        preview = page.locator("#preview")
        await expect(preview.locator(".preview-subject")).to_have_text(
            "Invoice INV-7781 for Globex Corporation"
        )
        await expect(preview.locator(".preview-text")).to_have_text("Hello Globex Corporation")
        frame = page.frame_locator("iframe.preview-html")
        await expect(frame.locator("p")).to_contain_text("Dear Globex Corporation")
        await page.get_by_label("Text body").fill("Pay {{ invoice.number }}, please")
        await expect(preview.locator(".preview-text")).to_have_text("Pay INV-7781, please")
        await page.get_by_label("Text body").fill("ok\n{% if %}")
        await expect(preview.get_by_role("alert")).to_contain_text("line 2")
        await expect(page.locator("#text_body-live").get_by_role("alert")).to_contain_text("line 2")
        await assert_accessible(page)
        await page.get_by_label("Text body").fill("Pay {{ invoice.number }}, please")
        await expect(page.locator("#text_body-live")).to_be_empty()
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
    [saved] = await console.api.ok("GET", "/templates")
    assert saved["text_body"] == "Pay {{ invoice.number }}, please"
