"""Database engine and session factory (SQLAlchemy async over psycopg 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from models.settings import Settings, to_sqlalchemy_url

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(url: str, *, pool_size: int = 10, statement_timeout_ms: int | None = None) -> AsyncEngine:
    """An engine whose pool checks connections before use (a restarted Postgres is survived)."""
    connect_args: dict[str, object] = {}
    if statement_timeout_ms is not None:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return create_async_engine(
        to_sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def engine_from_settings(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One session, committed when the block succeeds and rolled back when it raises."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
