"""Operator commands at a terminal: the services the API uses, run directly against Postgres and
Temporal (no key needed: the terminal user is trusted like the database's owner)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from domain.enums import Role
from models import User
from models.db import engine_from_settings, session_factory
from models.settings import Settings
from services.unit_of_work import AppState, UnitOfWork, unit_of_work
from workers.startup import connect_temporal

T = TypeVar("T")


def terminal_user() -> User:
    return User(
        id=0, name="terminal", email=f"operator@{socket.gethostname()}".lower()[:254], role=Role.OWNER.value
    )


@asynccontextmanager
async def operator_state(settings: Settings) -> AsyncIterator[AppState]:
    if settings.database_url is None or settings.temporal_address is None:
        raise RuntimeError("set ARCADENCE_DATABASE_URL and ARCADENCE_TEMPORAL_ADDRESS")
    engine = engine_from_settings(settings)
    client = await connect_temporal(settings)
    try:
        yield AppState(
            settings=settings,
            sessions=session_factory(engine),
            temporal=client,
            task_queue=settings.task_queue,
        )
    finally:
        await engine.dispose()


async def in_unit_of_work(state: AppState, action: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one service call the way a request would: one commit, then its signals."""
    async with unit_of_work(state) as uow:
        return await action(uow)
