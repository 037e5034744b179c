"""Every route needs a key (but /health), and each role reaches exactly what it may."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from api.app import ROUTERS
from domain.enums import Role
from tests.api.conftest import Api


def _allowed_roles(route: APIRoute) -> frozenset[Role] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        roles = getattr(dependency.call, "allowed_roles", None)
        if roles is not None:
            return frozenset(roles)
        stack.extend(dependency.dependencies)
    return None


ROUTES = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
MATRIX = [(route, method) for route in ROUTES if route.path != "/health" for method in sorted(route.methods)]


def test_every_route_but_health_is_gated_by_a_role() -> None:
    ungated = [r.path for r in ROUTES if r.path != "/health" and _allowed_roles(r) is None]
    assert ungated == []


@pytest.mark.parametrize(("route", "method"), MATRIX, ids=[f"{m} {r.path}" for r, m in MATRIX])
async def test_role_matrix(api: Api, route: APIRoute, method: str) -> None:
    """Each route, as each role: allowed roles get past the gate, the others get 403."""
    path = re.sub(r"\{[a-z_]+\}", "999999", route.path)
    allowed = _allowed_roles(route)
    assert allowed is not None
    for role in Role:
        response = await api.call(method, path, role, json={})
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
            assert response.status_code < 500, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"]["code"] == "forbidden"


async def test_no_key_bad_key_and_revoked_key_are_refused(api: Api) -> None:
    assert (await api.http.get("/customers")).status_code == 401
    bad = await api.http.get("/customers", headers={"Authorization": "Bearer ak_000000000000_nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    assert (await api.http.get("/health")).json() == {"status": "ok"}

    viewer = api.users[Role.VIEWER]
    issued = await api.ok("POST", f"/users/{viewer.id}/api-keys", json={"name": "laptop"}, status=201)
    headers = {"Authorization": f"Bearer {issued['secret']}"}
    assert (await api.http.get("/customers", headers=headers)).status_code == 200
    await api.ok("POST", f"/api-keys/{issued['id']}/revoke")
    assert (await api.http.get("/customers", headers=headers)).status_code == 401


async def test_keys_are_stored_hashed(api: Api) -> None:
    from sqlmodel import select

    from models import ApiKey

    issued = await api.ok("POST", f"/users/{api.users[Role.SUPPORT].id}/api-keys", json={}, status=201)
    async with api.sessions() as session:
        stored = (await session.exec(select(ApiKey).where(ApiKey.id == issued["id"]))).one()
    assert issued["secret"] not in stored.key_hash and len(stored.key_hash) == 64


async def test_a_deactivated_user_is_refused_at_once(api: Api) -> None:
    viewer = api.users[Role.VIEWER]
    await api.ok("PATCH", f"/users/{viewer.id}", json={"active": False})
    assert (await api.call("GET", "/customers", Role.VIEWER)).status_code == 401
