"""Signing in to the console: an API key for a signed, HttpOnly, SameSite=Strict cookie that
expires, ends with its key, and needs its CSRF token for every change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from api.console import session as cookie
from domain.enums import Role
from models import ApiKey
from tests.console.conftest import Console


async def test_signing_in_with_an_api_key_sets_a_signed_httponly_strict_cookie(console: Console) -> None:
    http = console.client()
    response = await http.post("/console/sign-in", data={"api_key": console.api.keys[Role.SUPPORT]})
    assert response.status_code == 303 and response.headers["location"] == "/console/customers"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{cookie.COOKIE}=")
    flags = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console", f"max-age={8 * 3600}"} <= flags
    assert "secure" not in flags  # plain http (a local dev stack)
    assert console.api.keys[Role.SUPPORT] not in set_cookie
    page = await http.get("/console/customers")
    assert page.status_code == 200 and "support person" in page.text


async def test_the_cookie_is_secure_when_the_console_is_served_over_https(console: Console) -> None:
    http = console.client(base_url="https://test")
    response = await http.post("/console/sign-in", data={"api_key": console.api.keys[Role.VIEWER]})
    assert response.status_code == 303
    assert "secure" in {part.strip().lower() for part in response.headers["set-cookie"].split(";")}


async def test_an_unknown_key_is_refused_on_the_sign_in_form_without_a_cookie(console: Console) -> None:
    http = console.client()
    response = await http.post("/console/sign-in", data={"api_key": "ak_000000000000_nope"})
    assert response.status_code == 401
    assert "That API key is unknown" in response.text and 'aria-invalid="true"' in response.text
    assert "set-cookie" not in response.headers


async def test_pages_without_a_session_send_the_browser_to_sign_in(console: Console) -> None:
    http = console.client()
    root = await http.get("/")
    assert root.status_code == 307 and root.headers["location"] == "/console"
    for path in ("/console", "/console/customers", "/console/customers/1"):
        response = await http.get(path, follow_redirects=True)
        assert response.url.path == "/console/sign-in" and '<label for="api_key">' in response.text
    htmx = await http.post("/console/invoices/1/pause", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/console/sign-in"


async def test_a_change_without_the_sessions_csrf_token_is_refused(console: Console) -> None:
    customer = await console.api.customer()
    browser = await console.sign_in(Role.SUPPORT)
    path = f"/console/customers/{customer['id']}/pause"
    missing = await browser.http.post(path, data={"reason": "Promise to pay"})
    forged = await browser.http.post(path, data={"reason": "Promise to pay", "csrf_token": "forged"})
    for response in (missing, forged):
        assert response.status_code == 403 and "did not come from the console" in response.text
    header = await browser.http.post(path, data={"reason": "x"}, headers={"X-CSRF-Token": "forged"})
    assert header.status_code == 403
    assert (await console.api.ok("GET", f"/customers/{customer['id']}"))["paused"] is False


async def test_an_expired_session_sends_the_browser_back_to_sign_in(console: Console) -> None:
    http = console.client()
    user = console.api.users[Role.SUPPORT]
    async with console.api.sessions() as session:
        key_row = (await session.exec(select(ApiKey).where(ApiKey.user_id == user.id))).one()
    nine_hours_ago = datetime.now(UTC) - timedelta(hours=9)
    stale = cookie.issue(
        console.api.app.state.console_secret,
        user_id=user.id,
        key_id=key_row.id,
        key_hash=key_row.key_hash,
        now=nine_hours_ago,
        hours=8,
    )
    http.cookies.set(cookie.COOKIE, stale, domain="test", path="/console")
    response = await http.get("/console/customers")
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"


async def test_a_tampered_cookie_is_not_a_session(console: Console) -> None:
    browser = await console.sign_in(Role.VIEWER)
    value = browser.http.cookies[cookie.COOKIE]
    payload, signature = value.split(".")
    browser.http.cookies.clear()
    browser.http.cookies.set(cookie.COOKIE, f"{payload}x.{signature}", domain="test", path="/console")
    response = await browser.http.get("/console/customers")
    assert response.status_code == 303


async def test_revoking_the_key_ends_the_session_on_the_next_request(console: Console) -> None:
    browser = await console.sign_in(Role.SUPPORT)
    assert (await browser.get("/console/customers")).status_code == 200
    async with console.api.sessions() as session:
        user_id = console.api.users[Role.SUPPORT].id
        key = (await session.exec(select(ApiKey).where(ApiKey.user_id == user_id))).one()
        key.revoked_at = datetime.now(UTC)
        session.add(key)
        await session.commit()
    response = await browser.get("/console/customers")
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"


async def test_signing_out_clears_the_cookie(console: Console) -> None:
    browser = await console.sign_in(Role.SUPPORT)
    response = await browser.post("/console/sign-out")
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"
    assert cookie.COOKIE not in browser.http.cookies
    assert (await browser.http.get("/console/customers")).status_code == 303


async def test_htmx_and_the_stylesheet_are_served_by_the_console_itself(console: Console) -> None:
    http = console.client()
    htmx = await http.get("/console/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert (await http.get("/console/static/console.css")).status_code == 200
    page = (await http.get("/console/sign-in")).text
    assert 'src="/console/static/vendor/htmx.min.js"' in page and "https://" not in page
