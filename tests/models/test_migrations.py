"""Alembic migrations and the SQLModel tables describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import models  # noqa: F401


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def test_autogenerate_finds_no_difference_between_models_and_migrations(
    db_connection: AsyncConnection,
) -> None:
    diff = await db_connection.run_sync(_diff)
    assert diff == []


async def test_migrations_created_every_table_of_the_model(db_connection: AsyncConnection) -> None:
    from sqlalchemy import text

    rows = await db_connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    )
    tables = {row[0] for row in rows}
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
