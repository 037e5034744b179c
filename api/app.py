"""The admin API application: routers, error handling, and its connections to Postgres and Temporal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api.console import mount_console
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.limits import BodySizeLimit
from api.redact import redact_access_log
from api.routers import (
    approvals,
    automations,
    contact_cap,
    controls,
    customers,
    definitions,
    enrollments,
    health,
    inbound,
    invoices,
    organization,
    replies,
    suppressions,
    templates,
    users,
    webhooks,
    work,
)
from models.db import SessionFactory, engine_from_settings, session_factory
from models.settings import Settings
from services.unit_of_work import AppState

DESCRIPTION = """
Collections cadences (dunning) as durable Temporal workflows.

Authenticate with `Authorization: Bearer <api key>`. Errors share one shape:
`{"error": {"code": "...", "message": "...", "details": ...}}`.
"""

TAGS = [
    {"name": "customers", "description": "Customers, contacts, the accounting sync, pause and history."},
    {"name": "invoices", "description": "Invoices and their sync; changes re-plan running enrollments."},
    {"name": "workflows", "description": "Collections workflow definitions and their versions."},
    {"name": "automations", "description": "Rules that react to events and instants, attached to workflows."},
    {"name": "templates", "description": "Message templates, validated and previewed."},
    {"name": "enrollments", "description": "What an enrollment does now and next; switch or end it."},
    {"name": "work", "description": "Tasks for AR specialists, and the deliveries that were made."},
    {"name": "controls", "description": "Promises to pay and disputes: a collector steering the cadence."},
    {"name": "suppressions", "description": "Addresses never written to again, and lifting them."},
    {"name": "approvals", "description": "Messages that wait for a person's approval, and decisions."},
    {"name": "replies", "description": "Customers' replies, matched to what they answer, and handling them."},
    {"name": "users", "description": "Users and API keys."},
    {"name": "settings", "description": "Organization settings."},
    {"name": "health", "description": "Liveness."},
    {"name": "webhooks", "description": "Provider events, authenticated by the provider's signature."},
]


# Every router but health's: each of their routes needs a key and a role.
ROUTERS = tuple(
    m.router
    for m in (
        organization,
        users,
        customers,
        invoices,
        definitions,
        automations,
        templates,
        enrollments,
        work,
        suppressions,
        approvals,
        controls,
        replies,
        contact_cap,
    )
)


def create_app(
    settings: Settings | None = None,
    *,
    sessions: SessionFactory | None = None,
    temporal: Client | None = None,
    connect: Callable[[Settings], Awaitable[Client]] | None = None,
    task_queue: str | None = None,
) -> FastAPI:
    """The app; connections are made at start-up unless given (tests give their own).

    Without a `temporal` client, `connect` makes one at start-up: the process's own connect
    (`workers.startup.connect_temporal`, with the TLS and API-key settings), never one of the app's.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        factory = sessions
        if factory is None:
            engine = engine_from_settings(settings)
            factory = session_factory(engine)
        client = temporal
        if client is None:
            if connect is None:
                raise RuntimeError("create_app needs a Temporal client or the function that connects one")
            client = await connect(settings)
        app.state.arcadence = AppState(
            settings=settings, sessions=factory, temporal=client, task_queue=task_queue or settings.task_queue
        )
        try:
            yield
        finally:
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="arcadence admin API",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    redact_access_log()
    app.add_middleware(BodySizeLimit)
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(inbound.router)
    for router in ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    mount_console(app, settings)
    return app
