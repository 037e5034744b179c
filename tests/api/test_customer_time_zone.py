"""A customer's own time zone through the API: set, refused when unknown, kept by a sync that
does not send one, and shown by the timeline beside the organization's."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.enums import Role
from tests.api.conftest import Api


async def test_a_customer_gets_its_own_zone_and_the_timeline_shows_both_local_times(api: Api) -> None:
    workflow = await api.workflow()
    customer = await api.customer()
    await api.invoice(due_in_days=20)
    changed = await api.ok(
        "PATCH", f"/customers/{customer['id']}", json={"time_zone": "Asia/Tokyo", "holiday_country": "JP"}
    )
    assert (changed["time_zone"], changed["holiday_country"]) == ("Asia/Tokyo", "JP")
    enrollment = await api.enroll(customer["id"], workflow["id"])

    body = await api.ok("GET", f"/enrollments/{enrollment['id']}/timeline?limit=2", Role.VIEWER)
    assert (body["time_zone"], body["organization_time_zone"]) == ("Asia/Tokyo", "America/New_York")
    first = body["items"][0]
    at = datetime.fromisoformat(first["at"])
    assert at.astimezone(ZoneInfo("Asia/Tokyo")).time() == time(14, 30)  # the send time, in Tokyo
    assert "JST" in first["local_time"] and "organization time" in first["local_time"]
    assert date.fromisoformat(first["local_date"]) == at.astimezone(ZoneInfo("Asia/Tokyo")).date()


async def test_a_sync_without_a_zone_keeps_the_zone_a_person_set(api: Api) -> None:
    customer = await api.customer()
    await api.ok("PATCH", f"/customers/{customer['id']}", json={"time_zone": "Europe/London"})
    batch = {"customers": [{"external_id": customer["external_id"], "name": "Globex renamed"}]}
    await api.ok("POST", "/customers/batch", json=batch)
    after = await api.ok("GET", f"/customers/{customer['id']}", Role.VIEWER)
    assert (after["name"], after["time_zone"]) == ("Globex renamed", "Europe/London")
    # A sync that sends a zone sets it; null clears it back to the organization's.
    batch["customers"][0]["time_zone"] = None
    await api.ok("POST", "/customers/batch", json=batch)
    assert (await api.ok("GET", f"/customers/{customer['id']}"))["time_zone"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "posix/Asia/Tokyo"},
        {"time_zone": "localtime"},
        {"holiday_country": "XX"},
        {"holiday_country": "jp"},
    ],
)
async def test_an_unknown_zone_or_holiday_country_is_refused_and_nothing_changes(
    api: Api, change: dict[str, str]
) -> None:
    customer = await api.customer()
    await api.refused("PATCH", f"/customers/{customer['id']}", 422, json=change)
    after = await api.ok("GET", f"/customers/{customer['id']}", Role.VIEWER)
    assert (after["time_zone"], after["holiday_country"]) == (None, None)


async def test_a_contact_can_carry_a_zone_and_an_unknown_one_is_refused(api: Api) -> None:
    customer = await api.customer()
    added = await api.ok(
        "POST",
        f"/customers/{customer['id']}/contacts",
        status=201,
        json={"email": "cfo@globex.example", "roles": ["primary"], "time_zone": "Asia/Tokyo"},
    )
    assert added["time_zone"] == "Asia/Tokyo"
    await api.refused(
        "POST",
        f"/customers/{customer['id']}/contacts",
        422,
        json={"email": "x@globex.example", "time_zone": "Nowhere/Land"},
    )
    emails = [c["email"] for c in await api.ok("GET", f"/customers/{customer['id']}/contacts")]
    assert "x@globex.example" not in emails
