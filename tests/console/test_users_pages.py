"""Users & keys: owners and admins add users, change roles, deactivate, issue a key (shown once)
and revoke it, through `services.users` and its rules (no role above one's own)."""

from __future__ import annotations

import re

from domain.enums import Role
from tests.console.conftest import Console

SECRET = re.compile(r'id="issued-secret" class="secret" readonly value="(ak_[^"]+)"')


async def test_an_owner_adds_a_user_changes_the_role_and_issues_a_key_shown_once(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    listing = (await owner.get("/console/users")).text
    assert '<a href="/console/users" aria-current="page">Users &amp; keys</a>' in listing
    assert "viewer@acme.example" in listing and '<label for="role">Role</label>' in listing
    created = await owner.post(
        "/console/users", {"name": "Sam Specialist", "email": "Sam@Acme.example", "role": "ar_specialist"}
    )
    assert created.status_code == 303
    user_path = created.headers["location"].split("?")[0]
    user_id = int(user_path.rsplit("/", 1)[1])
    page = (await owner.get(created.headers["location"])).text
    assert "User added." in page and "sam@acme.example" in page and "No API keys yet" in page

    role = await owner.post(f"/console/users/{user_id}/role", {"role": "ar_manager"})
    assert role.status_code == 303
    issued = await owner.post(f"/console/users/{user_id}/keys", {"key_name": "laptop"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    found = SECRET.search(issued.text)
    assert found is not None and "shown only this once" in issued.text
    secret = found.group(1)
    assert secret not in (await owner.get(user_path)).text  # never again

    # The key works: Sam signs in to the console with it, as an AR manager.
    sam = console.client()
    signed = await sam.post("/console/sign-in", data={"api_key": secret})
    assert signed.status_code == 303
    assert "(ar_manager)" in (await sam.get("/console/workflows")).text
    users = {u["email"]: u for u in await console.api.ok("GET", "/users")}
    assert users["sam@acme.example"]["role"] == "ar_manager"


async def test_a_revoked_key_and_a_deactivated_user_are_refused_at_once(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    await owner.get("/console/users")
    specialist = console.api.users[Role.AR_SPECIALIST]
    issued = await owner.post(f"/console/users/{specialist.id}/keys", {"key_name": "phone"})
    secret = SECRET.search(issued.text)
    assert secret is not None
    key_id = int(re.findall(r'action="/console/keys/(\d+)/revoke"', issued.text)[0])
    revoked = await owner.post(f"/console/keys/{key_id}/revoke")
    assert (
        revoked.status_code == 303
        and revoked.headers["location"] == f"/console/users/{specialist.id}?revoked=1"
    )
    assert "Key revoked" in (await owner.get(revoked.headers["location"])).text
    refused = await console.client().post("/console/sign-in", data={"api_key": secret.group(1)})
    assert refused.status_code != 303

    deactivated = await owner.post(f"/console/users/{specialist.id}/deactivate")
    assert deactivated.status_code == 303
    assert "Reactivate ar_specialist person" in (await owner.get(f"/console/users/{specialist.id}")).text
    gone = await console.api.call("GET", "/tasks", role=Role.AR_SPECIALIST)
    assert gone.status_code == 401


async def test_the_services_rules_are_shown_next_to_the_field(console: Console) -> None:
    admin = await console.sign_in(Role.ADMIN)
    await admin.get("/console/users")
    escalation = await admin.post(
        "/console/users", {"name": "Boss", "email": "boss@acme.example", "role": "owner"}
    )
    assert escalation.status_code == 403
    assert 'id="role-error" role="alert">a admin cannot grant the role &#39;owner&#39;' in escalation.text
    assert 'value="boss@acme.example"' in escalation.text
    duplicate = await admin.post(
        "/console/users", {"name": "Again", "email": "viewer@acme.example", "role": "viewer"}
    )
    assert (
        duplicate.status_code == 409 and 'id="email-error" role="alert">a user with email' in duplicate.text
    )
    bad = await admin.post("/console/users", {"name": "", "email": "nope", "role": "viewer"})
    assert bad.status_code == 422 and 'id="email-error" role="alert">not an email address' in bad.text
    assert 'id="name-error"' in bad.text
    owner = console.api.users[Role.OWNER]
    untouchable = await admin.post(f"/console/users/{owner.id}/deactivate")
    assert untouchable.status_code == 403 and "a admin cannot manage a owner" in untouchable.text
    self_change = await admin.post(
        f"/console/users/{console.api.users[Role.ADMIN].id}/role", {"role": "viewer"}
    )
    assert (
        self_change.status_code == 409
        and "you cannot deactivate yourself or change your own role" in self_change.text
    )
    users = {u["email"]: u for u in await console.api.ok("GET", "/users")}
    assert "boss@acme.example" not in users and users["owner@acme.example"]["active"] is True


async def test_users_and_keys_are_for_owners_and_admins_only(console: Console) -> None:
    viewer_id = console.api.users[Role.VIEWER].id
    for role in (Role.AR_MANAGER, Role.SUPPORT, Role.VIEWER):
        browser = await console.sign_in(role)
        assert 'href="/console/users"' not in (await browser.get("/console/customers")).text
        for path in ("/console/users", f"/console/users/{viewer_id}"):
            refused = await browser.get(path)
            assert refused.status_code == 403 and f"Your role ({role.value}) may not do this" in refused.text
        for path in (
            "/console/users",
            f"/console/users/{viewer_id}/keys",
            f"/console/users/{viewer_id}/deactivate",
        ):
            refused = await browser.post(path, {"name": "X", "email": "x@acme.example", "role": "viewer"})
            assert refused.status_code == 403
    users = {u["email"]: u for u in await console.api.ok("GET", "/users")}
    assert "x@acme.example" not in users and users["viewer@acme.example"]["active"] is True


async def test_a_user_change_without_the_csrf_token_is_refused(console: Console) -> None:
    owner = await console.sign_in(Role.OWNER)
    viewer_id = console.api.users[Role.VIEWER].id
    for path in (
        "/console/users",
        f"/console/users/{viewer_id}/keys",
        f"/console/users/{viewer_id}/deactivate",
    ):
        forged = await owner.http.post(path, data={"name": "X", "email": "x@acme.example", "role": "viewer"})
        assert forged.status_code == 403 and "did not come from the console" in forged.text
    assert (await console.api.ok("GET", "/users")) and all(
        u["active"] for u in await console.api.ok("GET", "/users")
    )
