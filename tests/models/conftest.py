"""Fixtures for the data-model tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

ViolationCheck = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[None]]


@pytest.fixture
def rejects(db_session: AsyncSession) -> ViolationCheck:
    """Assert that a write is refused by the named constraint, leaving the session usable."""

    async def check(constraint: str, write: Callable[[], Awaitable[Any]]) -> None:
        savepoint = await db_session.begin_nested()
        with pytest.raises((IntegrityError, DBAPIError)) as caught:
            await write()
            await db_session.flush()
        await savepoint.rollback()
        db_session.expunge_all()
        diag = getattr(caught.value.orig, "diag", None)
        name = getattr(diag, "constraint_name", None)
        assert name == constraint, f"expected {constraint}, got {name}: {caught.value.orig}"

    return check
