"""The console under test: the API harness of `tests/api` (real app, Postgres, time-skipping
Temporal and a worker), plus browsers-without-a-browser: httpx clients that keep a cookie."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Page, async_playwright, expect

from domain.enums import Role
from tests.api.conftest import Api, api  # noqa: F401  (the fixture, shared)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """One signed-in person: their client (with the session cookie) and the page's CSRF token."""

    http: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@dataclass
class Console:
    api: Api
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, base_url: str = "http://test") -> httpx.AsyncClient:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.api.app), base_url=base_url)
        self.opened.append(http)
        return http

    async def sign_in(self, role: Role = Role.SUPPORT) -> Browser:
        browser = Browser(self.client())
        response = await browser.http.post("/console/sign-in", data={"api_key": self.api.keys[role]})
        assert response.status_code == 303, response.text
        await browser.get("/console/customers")
        assert browser.csrf
        return browser


@pytest_asyncio.fixture
async def console(api: Api) -> AsyncIterator[Console]:  # noqa: F811
    harness = Console(api)
    try:
        yield harness
    finally:
        for http in harness.opened:
            await http.aclose()


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is needed for the console's browser test: apt-get install -y chromium", pytrace=False
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest_asyncio.fixture
async def served(console: Console) -> AsyncIterator[str]:
    """The app on a local port, in this event loop (its lifespan is the harness's, already open)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(console.api.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def chromium() -> str:
    """Asked first, so a machine without Chromium fails at once with the way to install it."""
    return chromium_path()


@asynccontextmanager
async def signed_in_page(chromium: str, served: str, key: str) -> AsyncIterator[Page]:
    """A Chromium page signed in to the console with `key` (for the other pages' browser tests)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{served}/console/sign-in")
            await page.get_by_label("API key").fill(key)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
            yield page
        finally:
            await browser.close()


@asynccontextmanager
async def htmx_settled(page: Page) -> AsyncIterator[None]:
    """Around an action that makes htmx swap part of the page: waits, after it, until htmx has
    settled the new content (`htmx:afterSettle`). htmx binds the new elements' triggers only
    then, a settle delay after the swap, so a change made as soon as the new element shows
    would not be heard (the editor's Kind select lost one that way, now and then)."""
    await page.evaluate(
        "() => { window.__htmxSettled = new Promise((done) =>"
        " document.body.addEventListener('htmx:afterSettle', () => done(true), { once: true })); }"
    )
    yield
    await page.evaluate("() => window.__htmxSettled")
