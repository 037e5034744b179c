"""Every route needs a key (but /health), each role reaches exactly what it may, and every
failure has the one error shape."""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.console import PREFIX as CONSOLE_PREFIX
from api.deps import UnitOfWorkDep
from domain.enums import Role
from models import User
from models.settings import Settings
from tests.api.conftest import Api

# Reachable without a key: liveness, and the webhook that proves itself with its signature.
# Provider webhooks prove themselves: a signature, or the inbound secret in the path.
PUBLIC = {
    "/health",
    "/webhooks/sendgrid",
    "/webhooks/sendgrid/inbound",
    "/webhooks/sendgrid/inbound/{secret}",
}


def _allowed_roles(route: APIRoute) -> frozenset[Role] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        roles = getattr(dependency.call, "allowed_roles", None)
        if roles is not None:
            return frozenset(roles)
        stack.extend(dependency.dependencies)
    return None


def _app_routes() -> list[tuple[str, APIRoute]]:
    """Every API route of the app as served (full path, route), however routers are nested; the
    console's pages are gated by its session instead (tests/console/test_console_routes.py)."""
    contexts = iter_route_contexts(create_app(Settings()).routes)
    return [
        (c.path or "", c.original_route)
        for c in contexts
        if isinstance(c.original_route, APIRoute) and not (c.path or "").startswith(CONSOLE_PREFIX)
    ]


# Read from the app itself, so that a new route cannot escape the matrix.
ROUTES = _app_routes()
MATRIX = [
    (path, route, method) for path, route in ROUTES if path not in PUBLIC for method in sorted(route.methods)
]


def test_every_route_but_health_is_gated_by_a_role() -> None:
    ungated = [path for path, r in ROUTES if path not in PUBLIC and _allowed_roles(r) is None]
    assert ungated == []
    assert len(MATRIX) > 40


def test_every_route_is_documented_and_every_request_body_has_an_example() -> None:
    for _path, route in ROUTES:
        assert route.summary and route.tags, route.path
        body = route.body_field
        if body is not None:
            schema = body.field_info.annotation.model_json_schema()  # type: ignore[union-attr]
            assert schema.get("examples"), f"{route.path}: {schema.get('title')} has no example"


async def test_the_openapi_document_names_every_operation_and_the_error_shape(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(operations) == len(ROUTES)
    assert all(op.get("summary") and op.get("tags") for op in operations)
    create = document["paths"]["/customers"]["post"]
    assert create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")
    assert {t["name"] for t in document["tags"]} >= {"customers", "enrollments", "workflows"}


async def test_role_matrix(api: Api) -> None:
    """Each route, as each role: allowed roles get past the gate, the others get 403. One test
    for the whole matrix (one API harness, not one per route), naming every route that fails."""
    wrong: list[str] = []
    for template, route, method in MATRIX:
        path = re.sub(r"\{[a-z_]+\}", "999999", template)
        allowed = _allowed_roles(route)
        assert allowed is not None, template
        for role in Role:
            response = await api.call(method, path, role, json={})
            if role in allowed:
                ok = response.status_code not in (401, 403) and response.status_code < 500
            else:
                ok = response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
            if not ok:
                wrong.append(f"{method} {template} as {role}: {response.status_code} {response.text[:200]}")
    assert wrong == []


def test_the_role_matrix_says_who_manages_what() -> None:
    by_path = {(m, p): _allowed_roles(r) for p, r, m in MATRIX}
    managers = frozenset({Role.OWNER, Role.ADMIN, Role.AR_MANAGER})
    assert by_path[("POST", "/workflows")] == managers
    assert by_path[("PUT", "/templates/{template_id}")] == managers
    assert by_path[("POST", "/users")] == managers
    assert by_path[("POST", "/customers/{customer_id}/pause")] == managers | {Role.SUPPORT}
    assert by_path[("POST", "/enrollments/{enrollment_id}/reassign")] == managers | {Role.SUPPORT}
    assert by_path[("POST", "/tasks/{task_id}/complete")] == managers | {Role.AR_SPECIALIST}
    assert by_path[("GET", "/customers/{customer_id}/history")] == frozenset(Role)
    assert by_path[("GET", "/deliveries/{delivery_id}")] == by_path[("GET", "/deliveries")]
    assert by_path[("PUT", "/settings")] == frozenset({Role.OWNER, Role.ADMIN})


async def test_no_key_a_bad_key_and_a_revoked_key_are_refused(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer ak_000000000000_nope"},
        {"Authorization": f"Bearer {api.keys[Role.OWNER]}x"},
    ):
        response = await api.http.get("/customers", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.http.get("/health")).json() == {"status": "ok"}

    viewer = api.users[Role.VIEWER]
    issued = await api.ok("POST", f"/users/{viewer.id}/api-keys", json={"name": "laptop"}, status=201)
    headers = {"Authorization": f"Bearer {issued['secret']}"}
    assert (await api.http.get("/customers", headers=headers)).status_code == 200
    await api.ok("POST", f"/api-keys/{issued['id']}/revoke")
    assert (await api.http.get("/customers", headers=headers)).status_code == 401
    # The user's other key still works.
    assert (await api.call("GET", "/customers", Role.VIEWER)).status_code == 200


async def test_an_unauthenticated_request_with_a_bad_body_is_a_401_not_a_422(api: Api) -> None:
    response = await api.http.post("/customers", json={"nonsense": True})
    assert response.status_code == 401


async def test_a_role_check_comes_before_input_validation(api: Api) -> None:
    await api.refused("POST", "/workflows", 403, "forbidden", role=Role.VIEWER, json={"bad": 1})


async def test_errors_share_one_shape(api: Api) -> None:
    await api.refused("GET", "/no-such-route", 404, "not_found")
    await api.refused("DELETE", "/customers", 405, "method_not_allowed")
    await api.refused("GET", "/customers/not-a-number", 422, "invalid_input")
    await api.refused("GET", "/customers/99999999999", 422, "invalid_input")
    await api.refused("GET", "/customers?limit=100000", 422, "invalid_input")
    body = await api.refused(
        "POST",
        "/customers",
        422,
        "invalid_input",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert body["error"]["details"][0]["type"] == "json_invalid"


async def test_an_unexpected_failure_is_a_500_without_a_traceback() -> None:
    app = create_app(Settings())

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/explode")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "hunter2" not in response.text and "Traceback" not in response.text


async def test_keys_are_stored_hashed_and_listed_without_their_secret(api: Api) -> None:
    from sqlmodel import select

    from models import ApiKey

    support = api.users[Role.SUPPORT]
    issued = await api.ok("POST", f"/users/{support.id}/api-keys", json={}, status=201)
    assert issued["secret"].startswith(f"ak_{issued['prefix']}_")
    async with api.sessions() as session:
        stored = (await session.exec(select(ApiKey).where(ApiKey.id == issued["id"]))).one()
    assert issued["secret"] not in stored.key_hash and len(stored.key_hash) == 64
    listed = await api.ok("GET", f"/users/{support.id}/api-keys")
    assert all("secret" not in k for k in listed) and issued["id"] in [k["id"] for k in listed]


async def test_a_deactivated_user_is_refused_at_once(api: Api) -> None:
    viewer = api.users[Role.VIEWER]
    await api.ok("PATCH", f"/users/{viewer.id}", json={"active": False})
    await api.refused("GET", "/customers", 401, "unauthorized", role=Role.VIEWER)


async def test_a_conflict_found_only_at_commit_is_a_409_and_nothing_is_signalled(api: Api) -> None:
    """The unit of work commits before the response: a failed commit is never answered 2xx."""
    app = create_app(Settings(), sessions=api.sessions, temporal=api.env.client, task_queue=api.task_queue)
    nudged: list[str] = []

    @app.post("/race")
    async def race(uow: UnitOfWorkDep) -> dict[str, str]:
        # Not flushed: the unique email is only checked by the commit after the route returns.
        uow.session.add(User(name="Twin", email="owner@acme.example", role="viewer"))

        async def nudge() -> None:
            nudged.append("sent")

        uow.after_commit(nudge)
        return {"status": "saved"}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post("/race")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert nudged == []


# Served to anyone: liveness, the provider webhooks (each request proves itself with the
# provider's signature), and the API's own description, which /docs loads in a browser that
# has no key to send. None of them reads or writes organization data.
# The console's pages send a browser to its sign-in page instead (gated by its session: see
# tests/console/test_console_routes.py); `/` redirects to the console.
OPEN_PREFIXES = ("/health", "/webhooks/", CONSOLE_PREFIX)
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/"}


async def test_no_route_of_the_app_answers_without_a_key_but_health_webhooks_and_docs(api: Api) -> None:
    """Walks every route the app serves (its own and the included routers'), not only the API
    routers, so nothing added later slips by."""
    checked = []
    for context in iter_route_contexts(api.app.routes):
        route = context.original_route
        path, methods = context.path or getattr(route, "path", None), getattr(route, "methods", None)
        if path is not None and (path.startswith(OPEN_PREFIXES) or path in DOCUMENTATION):
            continue  # the console's static files are a mount, without methods
        assert path is not None and methods, f"a route that cannot be checked: {route!r}"
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(methods):
            response = await api.http.request(method, concrete, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
            checked.append((method, path))
    assert len(checked) > 40
    assert (await api.http.get("/health")).status_code == 200
