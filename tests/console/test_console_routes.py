"""Every console page but sign-in (the form, the one-time link) needs a session, so a new page
cannot escape the gate."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.console import PREFIX
from api.console.auth import signed_in
from models.settings import Settings

OPEN = {
    ("GET", f"{PREFIX}"),
    ("GET", f"{PREFIX}/sign-in"),
    ("POST", f"{PREFIX}/sign-in"),
    ("GET", f"{PREFIX}/sign-in/link"),  # the one-time link: it opens the session
}


def _needs_session(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if dependency.call is signed_in:
            return True
        stack.extend(dependency.dependencies)
    return False


def test_every_console_page_but_sign_in_needs_a_session() -> None:
    contexts = iter_route_contexts(create_app(Settings()).routes)
    pages = [
        (method, c.path or "", c.original_route)
        for c in contexts
        if isinstance(c.original_route, APIRoute) and (c.path or "").startswith(PREFIX)
        for method in c.original_route.methods
    ]
    assert len(pages) >= 8
    ungated = [(m, p) for m, p, route in pages if (m, p) not in OPEN and not _needs_session(route)]
    assert ungated == []


def test_the_console_is_not_part_of_the_api_document() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(PREFIX)]
