"""The console: the web pages AR managers and support staff work in, served by the API's process
under `/console`, over the same services and unit of work as the API (never over HTTP)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

from api.console import (
    approvals,
    bulk,
    controls,
    customer_changes,
    deliveries,
    pages,
    replies,
    settings_pages,
    tasks,
    templates_pages,
    users_pages,
    workflow_editor,
    workflows,
)
from api.console.auth import Refused, SignInRequired
from api.console.render import HERE, page
from api.console.session import console_secret
from models.settings import Settings

PREFIX = "/console"


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    target = f"{PREFIX}/sign-in"
    if request.headers.get("hx-request"):  # htmx follows this header with a full page load
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _refused(request: Request, exc: Exception) -> HTMLResponse:
    message = exc.message if isinstance(exc, Refused) else "Refused"
    if request.headers.get("hx-request"):  # htmx: the refusal replaces the page's content
        body = f"<section class='narrow'><h1>Not allowed</h1><p role='alert'>{escape(message)}</p></section>"
        return HTMLResponse(body, status_code=403, headers={"HX-Retarget": "#main", "HX-Reswap": "innerHTML"})
    return page(request, "error.html", {"title": "Not allowed", "message": message}, status_code=403)


def mount_console(app: FastAPI, settings: Settings) -> None:
    """The console's routes, static files, its signing secret and `/` -> `/console`."""
    app.state.console_secret = console_secret(settings)
    app.state.console_settings = settings
    # The editor before the list: its `/workflows/{id}/clone` must not read as an ON/OFF switch.
    routers = (
        pages,
        bulk,
        customer_changes,
        controls,
        workflow_editor,
        workflows,
        templates_pages,
        tasks,
        approvals,
        deliveries,
        replies,
        settings_pages,
        users_pages,
    )
    for module in routers:
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(Refused, _refused)

    async def root(request: Request) -> Response:
        return RedirectResponse(PREFIX, status_code=307)

    # A plain route, not an API operation: it needs no key and is not in the OpenAPI document.
    app.add_route("/", root, methods=["GET"], include_in_schema=False)
