"""Postgres over TLS, set only through the URL (`sslmode=verify-full&sslrootcert=...`): the
project's own engine (`models.db`), the start-up check and the migrations pass the parameters
to psycopg (libpq) unchanged. The server is the suite's embedded Postgres behind
`pg_tls_proxy.PostgresTlsProxy` (Postgres's own TLS negotiation, a throw-away CA); the wheel's
Postgres itself is built without SSL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio
from sqlalchemy import text

from models.db import create_engine
from models.migrate import upgrade
from models.settings import Settings
from tests.models.pg_tls_proxy import PostgresTlsProxy
from tests.workers.tls_proxy import Authority
from workers.startup import StartupError, check_database


@pytest_asyncio.fixture
async def tls_postgres(
    fresh_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[PostgresTlsProxy, Path]]:
    upstream = urlsplit(fresh_database_url)
    ca = Authority("arcadence test Postgres CA")
    (tmp_path / "ca.crt").write_bytes(ca.cert_pem)
    async with PostgresTlsProxy(upstream_port=upstream.port or 5432, ca=ca, folder=tmp_path) as proxy:
        netloc = f"{upstream.username}@127.0.0.1:{proxy.port}"
        proxy.database_url = urlunsplit(upstream._replace(netloc=netloc))
        yield proxy, tmp_path / "ca.crt"


def _tls_url(server: PostgresTlsProxy, root: Path) -> str:
    return f"{server.database_url}?sslmode=verify-full&sslrootcert={root}"


async def test_the_engine_connects_with_verify_full_and_the_session_is_encrypted(
    tls_postgres: tuple[PostgresTlsProxy, Path],
) -> None:
    server, root = tls_postgres
    engine = create_engine(_tls_url(server, root), pool_size=1, statement_timeout_ms=5_000)
    try:
        async with engine.connect() as connection:
            encrypted = await connection.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
    finally:
        await engine.dispose()
    assert encrypted is False  # the proxy's hop to the embedded server is the plain one
    assert server.encrypted_sessions == 1  # what the client sent went over TLS, verified


async def test_the_start_up_check_and_the_migrations_go_through_the_same_url(
    tls_postgres: tuple[PostgresTlsProxy, Path],
) -> None:
    server, root = tls_postgres
    settings = Settings(database_url=_tls_url(server, root))
    await check_database(settings)
    await asyncio.to_thread(upgrade, settings.database_url or "")  # the proxy runs on this loop
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        await engine.dispose()
    assert server.encrypted_sessions >= 3  # the check, the migration, the engine


async def test_a_server_certificate_from_another_ca_is_refused_at_start_up_in_one_line(
    tls_postgres: tuple[PostgresTlsProxy, Path], tmp_path: Path
) -> None:
    server, _ = tls_postgres
    other = tmp_path / "other-ca.crt"
    other.write_bytes(Authority("not the server's CA").cert_pem)
    with pytest.raises(StartupError) as refused:
        await check_database(Settings(database_url=_tls_url(server, other)))
    line = refused.value.render()
    assert "\n" not in line
    assert line.startswith(f"arcadence: cannot reach Postgres at 127.0.0.1:{server.port}/")
    assert "certificate verify failed" in line
