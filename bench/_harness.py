"""What every benchmark shares: its own Postgres and Temporal, waiting, starting and seeding
(what it prints and measures is `bench._report`).

Each script starts an embedded Postgres in a temporary directory (migrated by Alembic) and,
when it needs one, Temporal's dev server (or the time-skipping test server) from the wheels,
so a benchmark never depends on anything left running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench._baseline import SleeperWorkflow, StepperWorkflow, WakerWorkflow, noop
from bench._report import CpuMeter
from domain.enums import ContactRole
from models import (
    Contact,
    Customer,
    Enrollment,
    Invoice,
    OrganizationSettings,
    WorkflowDefinition,
    WorkflowStep,
)
from models.base import require_id
from models.db import SessionFactory, create_engine, session_factory
from models.migrate import upgrade
from models.settings import Settings
from workers.bootstrap import create_user_with_key
from workers.converter import DATA_CONVERTER
from workers.embedded.postgres import throwaway_cluster
from workers.embedded.temporal import temporal_cli_path, test_server_path
from workers.temporal_setup import register_search_attributes
from workflows.client import enroll
from workflows.enrollment_types import EnrollmentInput, enrollment_workflow_id
from workflows.search_attributes import ALL_KEYS

NY = ZoneInfo("America/New_York")
# Concurrent starts from a client: the API's own choice for starting many workflows at once
# (services.unit_of_work.AFTER_COMMIT_CONCURRENCY), used for every baseline and every seeding of workflows.
START_CONCURRENCY = 32
TemporalKind = Literal["dev", "time_skipping", "none"]


# --- waiting and starting ------------------------------------------------------------------


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, limit_s: float, interval: float = 0.1, what: str = ""
) -> float:
    """Poll `check` until true; returns the monotonic instant it first held."""
    deadline = time.monotonic() + limit_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark condition never held within {limit_s:.0f}s: {what}")
        await asyncio.sleep(interval)
    return time.monotonic()


async def run_concurrently(
    jobs: Sequence[Callable[[], Awaitable[Any]]], concurrency: int = START_CONCURRENCY
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


# --- services ------------------------------------------------------------------------------


@dataclass
class Services:
    database_url: str
    engine: AsyncEngine
    sessions: SessionFactory
    env: WorkflowEnvironment | None

    @property
    def client(self) -> Client:
        assert self.env is not None, "this benchmark started no Temporal server"
        return self.env.client

    @property
    def temporal_address(self) -> str:
        config = self.client.service_client.config
        return config.target_host

    def settings(self, task_queue: str, **overrides: Any) -> Settings:
        """The production defaults of the worker (max concurrent activities / workflow tasks 100,
        cache 10,000), pointed at this benchmark's services."""
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "temporal_address": self.temporal_address if self.env is not None else None,
            "task_queue": task_queue,
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(**values)

    async def scalar(self, sql: str, **params: Any) -> int:
        async with self.engine.connect() as conn:
            value = (await conn.execute(text(sql), params)).scalar_one()
            return int(value)


@asynccontextmanager
async def services(temporal: TemporalKind = "dev", *, pool_size: int = 20) -> AsyncIterator[Services]:
    """A fresh, migrated Postgres and (unless `none`) a fresh Temporal, stopped afterwards."""
    with throwaway_cluster("arcadence-bench-") as postgres:
        url = await asyncio.to_thread(postgres.start)
        CpuMeter.pgdata = str(postgres.pgdata)
        env: WorkflowEnvironment | None = None
        engine: AsyncEngine | None = None
        try:
            await asyncio.to_thread(upgrade, url)
            engine = create_engine(url, pool_size=pool_size)
            if temporal == "dev":
                env = await WorkflowEnvironment.start_local(
                    dev_server_existing_path=str(temporal_cli_path()),
                    search_attributes=ALL_KEYS,
                    data_converter=DATA_CONVERTER,
                    dev_server_log_level="error",
                    ui=False,
                )
            elif temporal == "time_skipping":
                env = await WorkflowEnvironment.start_time_skipping(
                    test_server_existing_path=str(test_server_path()),
                    data_converter=DATA_CONVERTER,
                )
                await register_search_attributes(env.client)
            yield Services(url, engine, session_factory(engine), env)
        finally:
            if env is not None:
                await env.shutdown()
            if engine is not None:
                await engine.dispose()


def baseline_worker(client: Client, task_queue: str, settings: Settings) -> Worker:
    """The baseline workflows, with exactly the tuning of arcadence's worker."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SleeperWorkflow, StepperWorkflow, WakerWorkflow],
        activities=[noop],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
    )


# --- seeding -------------------------------------------------------------------------------


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(NY).date()


async def seed_org(sessions: SessionFactory, *, send_time: clock_time | None = None) -> None:
    async with sessions() as session:
        session.add(
            OrganizationSettings(
                name="Bench AR",
                time_zone="America/New_York",
                send_time=send_time or clock_time(14, 30),
                sender_name="Bench Accounts Receivable",
                sender_email="ar@bench.example",
                reply_to="collections@bench.example",
            )
        )
        await session.commit()


async def seed_owner_key(sessions: SessionFactory) -> str:
    return await create_user_with_key(sessions, name="Bench Owner", email="owner@bench.example")


async def seed_customers(
    sessions: SessionFactory, count: int, *, invoices_each: int = 0, prefix: str = "C"
) -> list[int]:
    """`count` customers, each with a communication contact and `invoices_each` open invoices,
    overdue by ten days (so an `outstanding`/`overdue` condition holds)."""
    today = local_today()
    ids: list[int] = []
    chunk = 2_000
    for start in range(0, count, chunk):
        async with sessions() as session:
            customers = [
                Customer(external_id=f"{prefix}-{i}", name=f"Customer {i}", currency="USD")
                for i in range(start, min(count, start + chunk))
            ]
            session.add_all(customers)
            await session.flush()
            for customer in customers:
                assert customer.id is not None
                ids.append(customer.id)
                session.add(
                    Contact(
                        customer_id=customer.id,
                        name="Accounts Payable",
                        email=f"ap-{customer.id}@customer.example",
                        roles=[ContactRole.COMMUNICATION.value],
                    )
                )
                for n in range(invoices_each):
                    session.add(
                        Invoice(
                            external_id=f"I-{customer.id}-{n}",
                            customer_id=customer.id,
                            number=f"INV-{customer.id}-{n}",
                            currency="USD",
                            total=Decimal("1200.00"),
                            balance_due=Decimal("1200.00"),
                            issue_date=today.replace(day=1) if today.day > 1 else today,
                            due_date=date.fromordinal(today.toordinal() - 10),
                        )
                    )
            await session.commit()
    return ids


async def seed_enrollments(
    sessions: SessionFactory, customer_ids: Sequence[int], definition_id: int, anchor: date
) -> list[int]:
    """Enrollment rows as the API writes them (the workflows are started by the caller)."""
    ids: list[int] = []
    chunk = 2_000
    for start in range(0, len(customer_ids), chunk):
        async with sessions() as session:
            rows = [
                Enrollment(
                    customer_id=customer_id,
                    definition_id=definition_id,
                    anchor_date=anchor,
                    enrolled_by="owner@bench.example",
                    workflow_id="",  # its own id, known after the flush
                )
                for customer_id in customer_ids[start : start + chunk]
            ]
            session.add_all(rows)
            await session.flush()
            for row in rows:
                row.workflow_id = enrollment_workflow_id(require_id(row))
            await session.flush()
            ids.extend(require_id(row) for row in rows)
            await session.commit()
    return ids


async def seed_definition(
    sessions: SessionFactory,
    *,
    kind: str,
    steps: Sequence[dict[str, Any]],
    conditions: Sequence[dict[str, Any]] = (),
    frequency: dict[str, Any] | None = None,
    name: str = "Bench cadence",
) -> int:
    async with sessions() as session:
        definition = WorkflowDefinition(
            name=name, kind=kind, conditions=list(conditions), frequency=frequency
        )
        session.add(definition)
        await session.flush()
        assert definition.id is not None
        for position, step in enumerate(steps):
            session.add(WorkflowStep(definition_id=definition.id, position=position, **step))
        await session.commit()
        return definition.id


async def start_enrollments(
    client: Client,
    task_queue: str,
    enrollments: Sequence[tuple[int, int]],
    definition_id: int,
) -> None:
    """Start (signal-with-start, as the API does) one workflow per (enrollment id, customer id)."""

    def job(enrollment_id: int, customer_id: int) -> Callable[[], Awaitable[Any]]:
        return lambda: enroll(
            client,
            EnrollmentInput(
                enrollment_id=enrollment_id,
                customer_id=customer_id,
                definition_id=definition_id,
                customer_name=f"Customer {customer_id}",
            ),
            actor="owner@bench.example",
            definition_name="Bench cadence",
            task_queue=task_queue,
        )

    await run_concurrently([job(e, c) for e, c in enrollments])
