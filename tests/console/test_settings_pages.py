"""The Settings page: owners and admins change the organization's settings through the service
the API's `PUT /settings` calls; everyone else reads them."""

from __future__ import annotations

from typing import Any

from domain.enums import Role
from tests.api.conftest import AUTOPAY_WORKFLOW
from tests.console.conftest import Console


def settings_form(**overrides: str) -> dict[str, Any]:
    return {
        "name": "Acme Industries",
        "sender_name": "Acme AR",
        "sender_email": "ar@acme.example",
        "reply_to": "",
        "send_time": "09:15",
        "time_zone": "Europe/Paris",
        "send_window_minutes": "30",
        "business_days_only": "on",
        "holiday_country": "FR",
        "default_definition_id": "",
        "autopay_definition_id": "",
        **overrides,
    }


async def test_an_admin_changes_the_send_time_zone_holidays_and_default_workflow(console: Console) -> None:
    definition = await console.api.workflow()
    admin = await console.sign_in(Role.ADMIN)
    page = (await admin.get("/console/settings")).text
    assert (
        '<label for="time_zone">Time zone</label>' in page
        and '<option value="FR">France (FR)</option>' in page
    )
    assert 'href="/console/settings" aria-current="page"' in page
    saved = await admin.post("/console/settings", settings_form(default_definition_id=str(definition["id"])))
    assert saved.status_code == 303 and saved.headers["location"] == "/console/settings?saved=1"
    stored = await console.api.ok("GET", "/settings")
    assert stored["send_time"] == "09:15" and stored["time_zone"] == "Europe/Paris"
    assert stored["business_days_only"] is True and stored["holiday_country"] == "FR"
    assert stored["send_window_minutes"] == 30 and stored["default_definition_id"] == definition["id"]
    assert stored["sender_name"] == "Acme AR" and stored["updated_by"] == "admin@acme.example"
    again = (await admin.get("/console/settings?saved=1")).text
    assert (
        "Saved." in again and "<option selected>Europe/Paris</option>" in again and 'value="09:15"' in again
    )


async def test_a_refused_setting_is_shown_next_to_its_field_and_nothing_changes(console: Console) -> None:
    before = await console.api.ok("GET", "/settings")
    invoice_workflow = await console.api.workflow()
    owner = await console.sign_in(Role.OWNER)
    await owner.get("/console/settings")
    window = await owner.post(
        "/console/settings", settings_form(send_window_minutes="9999", sender_email="nope")
    )
    assert window.status_code == 422 and "Traceback" not in window.text
    assert (
        'id="send_window_minutes-error" role="alert">Input should be less than or equal to 720' in window.text
    )
    assert 'id="sender_email-error" role="alert">not an email address' in window.text
    assert 'value="9999"' in window.text  # what was typed stays in the form
    # An invoice workflow offered as the auto-pay default (a forged form): the service refuses it.
    kind = await owner.post(
        "/console/settings", settings_form(autopay_definition_id=str(invoice_workflow["id"]))
    )
    assert kind.status_code == 422
    assert (
        'id="autopay_definition_id-error" role="alert">&#39;Net 30 reminders&#39; is not an auto-pay'
        in kind.text
    )
    after = await console.api.ok("GET", "/settings")
    assert after["send_time"] == before["send_time"] and after["time_zone"] == before["time_zone"]


async def test_the_auto_pay_default_offers_only_auto_pay_workflows(console: Console) -> None:
    await console.api.workflow()
    autopay = await console.api.ok("POST", "/workflows", status=201, json=AUTOPAY_WORKFLOW)
    admin = await console.sign_in(Role.ADMIN)
    await admin.get("/console/settings")
    saved = await admin.post("/console/settings", settings_form(autopay_definition_id=str(autopay["id"])))
    assert saved.status_code == 303
    assert (await console.api.ok("GET", "/settings"))["autopay_definition_id"] == autopay["id"]
    page = (await admin.get("/console/settings")).text
    autopay_select = page.split('id="autopay_definition_id"')[1].split("</select>")[0]
    assert "Auto-pay notice" in autopay_select and "Net 30 reminders" not in autopay_select


async def test_a_viewer_support_or_manager_reads_the_settings_and_the_server_refuses_their_change(
    console: Console,
) -> None:
    for role in (Role.VIEWER, Role.SUPPORT, Role.AR_MANAGER):
        browser = await console.sign_in(role)
        page = (await browser.get("/console/settings")).text
        assert "<dt>Send time</dt><dd>14:30 (America/New_York)</dd>" in page
        assert 'action="/console/settings"' not in page and "Save settings" not in page
        assert f"Your role ({role.value}) can read the settings" in page
        refused = await browser.post("/console/settings", settings_form())
        assert refused.status_code == 403 and f"Your role ({role.value}) may not do this" in refused.text
    assert (await console.api.ok("GET", "/settings"))["time_zone"] == "America/New_York"


async def test_a_settings_change_without_the_csrf_token_is_refused(console: Console) -> None:
    admin = await console.sign_in(Role.ADMIN)
    forged = await admin.http.post("/console/settings", data=settings_form())
    assert forged.status_code == 403 and "did not come from the console" in forged.text
    assert (await console.api.ok("GET", "/settings"))["time_zone"] == "America/New_York"
