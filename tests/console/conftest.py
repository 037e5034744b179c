"""The console under test: the API harness of `tests/api` (real app, Postgres, time-skipping
Temporal and a worker), plus browsers-without-a-browser: httpx clients that keep a cookie."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio

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
