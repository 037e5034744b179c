"""The one-time console sign-in link of `arcadence create-owner` and `make dev`: exchanged for
a session once, short-lived, stored hashed, and never an API key."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import select

from api.console import session as cookie
from domain.enums import Role
from models import ApiKey
from services.api_keys import hash_key
from services.sign_in_links import SIGN_IN_LINK, link_url
from tests.console.conftest import Console
from workers.bootstrap import issue_sign_in_link


async def _link(console: Console, role: Role = Role.OWNER) -> str:
    secret = await issue_sign_in_link(console.api.sessions, email=f"{role.value}@acme.example")
    assert secret is not None
    url = urlsplit(link_url("http://test/console", secret))
    return f"{url.path}?{url.query}"


async def test_a_sign_in_link_opens_a_session_once_and_a_second_use_says_so(console: Console) -> None:
    link = await _link(console)
    first = console.client()
    opened = await first.get(link)
    assert opened.status_code == 303 and opened.headers["location"] == "/console/customers"
    assert opened.headers["set-cookie"].startswith(f"{cookie.COOKIE}=")
    assert "samesite=strict" in opened.headers["set-cookie"].lower()
    page = await first.get("/console/customers")
    assert page.status_code == 200 and "owner person" in page.text

    again = await console.client().get(link)
    assert again.status_code == 401 and "set-cookie" not in again.headers
    assert "This sign-in link has already been used; each link signs in once." in again.text
    assert 'id="link-error"' in again.text and '<label for="api_key">' in again.text


async def test_a_link_is_stored_hashed_and_is_no_api_key(console: Console) -> None:
    link = await _link(console, Role.SUPPORT)
    secret = link.split("token=")[1]
    async with console.api.sessions() as session:
        row = (await session.exec(select(ApiKey).where(ApiKey.name == SIGN_IN_LINK))).one()
    assert row.key_hash == hash_key(secret) and secret not in row.key_hash
    api = await console.api.http.get("/customers", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    typed = await console.client().post("/console/sign-in", data={"api_key": secret})
    assert typed.status_code == 401 and "set-cookie" not in typed.headers


async def test_an_expired_or_unknown_link_is_a_clear_page(console: Console) -> None:
    link = await _link(console)
    async with console.api.sessions() as session:
        row = (await session.exec(select(ApiKey).where(ApiKey.name == SIGN_IN_LINK))).one()
        row.created_at -= timedelta(minutes=16)
        session.add(row)
        await session.commit()
    expired = await console.client().get(link)
    assert expired.status_code == 401 and "set-cookie" not in expired.headers
    assert "This sign-in link has expired (links last 15 minutes)." in expired.text
    unknown = await console.client().get("/console/sign-in/link?token=ak_000000000000_nope")
    assert unknown.status_code == 401 and "This sign-in link is not valid." in unknown.text
    empty = await console.client().get("/console/sign-in/link")
    assert empty.status_code == 401 and "Traceback" not in empty.text


async def test_revoking_the_link_ends_the_session_it_opened(console: Console) -> None:
    link = await _link(console, Role.AR_MANAGER)
    http = console.client()
    assert (await http.get(link)).status_code == 303
    async with console.api.sessions() as session:
        row = (await session.exec(select(ApiKey).where(ApiKey.name == SIGN_IN_LINK))).one()
        row.revoked_at = row.last_used_at
        session.add(row)
        await session.commit()
    page = await http.get("/console/customers")
    assert page.status_code == 303 and page.headers["location"] == "/console/sign-in"


async def test_create_owner_prints_the_key_and_a_sign_in_link_that_signs_the_owner_in(
    console: Console, fresh_database_url: str
) -> None:
    """The command run as an operator runs it, against the database the console serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_")}
    env["ARCADENCE_DATABASE_URL"] = fresh_database_url
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "arcadence"),
        "create-owner",
        "first@acme.example",
        "--name",
        "First Owner",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    key = out.decode().strip()
    assert key.startswith("ak_") and "\n" not in key  # stdout is the key alone, for scripts
    found = re.search(r"Console sign-in link \(once, within 15 minutes\): (\S+)", err.decode())
    assert found, err.decode()
    url = urlsplit(found.group(1))
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:8000", "/console/sign-in/link")

    http = console.client()
    assert (await http.get(f"{url.path}?{url.query}")).status_code == 303
    assert "First Owner" in (await http.get("/console/customers")).text
    api = await console.api.http.get("/customers", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200
