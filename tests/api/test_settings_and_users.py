"""Organization settings, users and API keys through the API."""

from __future__ import annotations

from typing import Any

import pytest

from domain.enums import Role
from models import OrganizationSettings, User
from tests.api.conftest import AUTOPAY_WORKFLOW, Api

SETTINGS: dict[str, Any] = {
    "name": "Acme Industries",
    "time_zone": "Europe/Paris",
    "send_time": "09:15",
    "business_days_only": True,
    "holiday_country": "FR",
    "sender_name": "Acme AR",
    "sender_email": "ar@acme.example",
    "reply_to": "collections@acme.example",
}


async def test_settings_start_at_the_defaults_and_are_saved(api: Api) -> None:
    defaults = await api.ok("GET", "/settings", Role.VIEWER)
    assert (defaults["time_zone"], defaults["send_time"]) == ("America/New_York", "14:30")
    workflow = await api.workflow()
    saved = await api.ok("PUT", "/settings", json={**SETTINGS, "default_definition_id": workflow["id"]})
    assert saved["send_time"] == "09:15" and saved["updated_by"] == "admin@acme.example"
    again = await api.ok("GET", "/settings", Role.VIEWER)
    assert again["time_zone"] == "Europe/Paris" and again["default_definition_id"] == workflow["id"]


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "localtime"},
        {"send_time": "25:00"},
        {"send_time": "9:15"},
        {"send_time": "09:15:30"},
        {"holiday_country": "fr"},
        {"holiday_country": "XX"},
        {"holiday_country": "FRA"},
        {"send_window_minutes": 721},
        {"send_window_minutes": "10"},
        {"business_days_only": "yes"},
        {"sender_email": "not an email"},
        {"name": ""},
        {"name": "x" * 201},
        {"colour": "blue"},
        {"default_definition_id": 424242},
    ],
)
async def test_invalid_settings_are_a_422_and_change_nothing(api: Api, change: dict[str, Any]) -> None:
    await api.refused("PUT", "/settings", 422, json={**SETTINGS, **change})
    assert await api.count(OrganizationSettings) == 0


async def test_the_default_workflows_must_be_of_the_right_kind(api: Api) -> None:
    dunning = await api.workflow()
    autopay = await api.workflow(**AUTOPAY_WORKFLOW)
    await api.refused(
        "PUT",
        "/settings",
        422,
        "wrong_definition_kind",
        json={**SETTINGS, "autopay_definition_id": dunning["id"]},
    )
    await api.refused(
        "PUT",
        "/settings",
        422,
        "wrong_definition_kind",
        json={**SETTINGS, "default_definition_id": autopay["id"]},
    )
    await api.ok(
        "PUT",
        "/settings",
        json={**SETTINGS, "default_definition_id": dunning["id"], "autopay_definition_id": autopay["id"]},
    )


async def test_users_are_created_listed_and_deactivated(api: Api) -> None:
    created = await api.ok(
        "POST",
        "/users",
        Role.AR_MANAGER,
        status=201,
        json={"name": "Sam Specialist", "email": "Sam@Acme.example", "role": "ar_specialist"},
    )
    assert created["email"] == "sam@acme.example" and created["active"] is True
    await api.refused(
        "POST",
        "/users",
        409,
        "duplicate_email",
        json={"name": "Sam again", "email": "sam@acme.example", "role": "viewer"},
    )
    await api.refused("POST", "/users", 422, json={"name": "X", "email": "x@acme.example", "role": "god"})
    listed = await api.ok("GET", "/users", Role.AR_MANAGER)
    assert "sam@acme.example" in [u["email"] for u in listed]

    key = await api.ok("POST", f"/users/{created['id']}/api-keys", status=201, json={"name": "laptop"})
    headers = {"Authorization": f"Bearer {key['secret']}"}
    assert (await api.http.get("/tasks", headers=headers)).status_code == 200
    off = await api.ok("PATCH", f"/users/{created['id']}", json={"active": False})
    assert off["active"] is False
    assert (await api.http.get("/tasks", headers=headers)).status_code == 401
    await api.refused("POST", f"/users/{created['id']}/api-keys", 409, "user_inactive", json={})
    await api.refused("PATCH", "/users/424242", 404, "not_found", json={"active": False})
    await api.refused("POST", "/api-keys/424242/revoke", 404, "not_found")


async def test_nobody_hands_out_more_power_than_they_hold(api: Api) -> None:
    admin, owner = api.users[Role.ADMIN], api.users[Role.OWNER]
    await api.refused(
        "POST",
        "/users",
        403,
        "role_escalation",
        Role.AR_MANAGER,
        json={"name": "Eve", "email": "eve@acme.example", "role": "admin"},
    )
    await api.refused(
        "PATCH", f"/users/{admin.id}", 403, "role_escalation", Role.AR_MANAGER, json={"active": False}
    )
    await api.refused("POST", f"/users/{owner.id}/api-keys", 403, "role_escalation", Role.ADMIN, json={})
    specialist = api.users[Role.AR_SPECIALIST]
    await api.refused(
        "PATCH", f"/users/{specialist.id}", 403, "role_escalation", Role.AR_MANAGER, json={"role": "owner"}
    )
    await api.refused("PATCH", f"/users/{admin.id}", 409, "self_change", Role.ADMIN, json={"active": False})
    # Downwards is fine, and owners manage everyone.
    await api.ok("PATCH", f"/users/{specialist.id}", Role.AR_MANAGER, json={"role": "support"})
    await api.ok("PATCH", f"/users/{admin.id}", Role.OWNER, json={"name": "Ada Admin"})
    async with api.sessions() as session:
        assert (await session.get(User, specialist.id)).role == "support"
