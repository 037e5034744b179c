"""Faults are injected into real processes: a worker started as `arcadence worker`, a Temporal
dev server of the test's own (its database in a file, so it can be restarted), and, where the
test stops it, a Postgres of the test's own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import Delivery, Enrollment, HistoryEntry, WorkflowDefinition
from models.db import SessionFactory
from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from tests.workflows.conftest import cadence  # noqa: F401  (the engine harness, for the provider tests)
from workers.converter import DATA_CONVERTER
from workers.embedded.ports import free_port, wait_for_port
from workers.embedded.temporal import temporal_cli_path
from workers.temporal_setup import register_search_attributes
from workflows.client import enroll
from workflows.enrollment_types import EnrollmentInput

# Zones spread around the clock: one of them is always in the middle of its day, so a send time
# a few minutes ago is today's, whatever the hour the suite runs at.
ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/Moscow",
)


def midday_zone(now: datetime) -> ZoneInfo:
    for name in ZONES:
        zone = ZoneInfo(name)
        if 9 <= now.astimezone(zone).hour <= 19:
            return zone
    raise AssertionError("no zone in the list is in the middle of its day")


@dataclass
class TemporalDevServer:
    """`temporal server start-dev` with its state in a file: stopping it loses nothing."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.data_dir / "temporal.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(temporal_cli_path()), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(self.port),
                "--db-filename", str(self.data_dir / "temporal.db"), "--log-level", "error",
            ],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    async def client(self) -> Client:
        for _ in range(100):
            try:
                return await Client.connect(self.address, data_converter=DATA_CONVERTER)
            except RuntimeError:
                await asyncio.sleep(0.2)
        raise TimeoutError(f"Temporal at {self.address} did not answer")


@pytest.fixture
def temporal_server(tmp_path: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def temporal_client(temporal_server: TemporalDevServer) -> AsyncIterator[Client]:
    client = await temporal_server.client()
    await register_search_attributes(client)
    yield client


@dataclass
class WorkerProcess:
    """`arcadence worker` as its own process, killed or stopped by the test."""

    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    log: Path | None = None

    async def start(self) -> None:
        assert self.log is not None
        output = self.log.open("ab")
        executable = Path(sys.executable).parent / "arcadence"
        self.process = await asyncio.create_subprocess_exec(
            str(executable), "worker", env=self.env, stdout=output, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def worker_env(database_url: str, temporal_address: str, task_queue: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    env.update(
        {
            "ARCADENCE_DATABASE_URL": database_url,
            "ARCADENCE_TEMPORAL_ADDRESS": temporal_address,
            "ARCADENCE_TASK_QUEUE": task_queue,
            "ARCADENCE_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


@pytest_asyncio.fixture
async def workers(tmp_path: Path) -> AsyncIterator[list[WorkerProcess]]:
    """Worker processes a test starts; none outlives it."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        await worker.stop()


async def start_worker(started: list[WorkerProcess], env: dict[str, str], log: Path) -> WorkerProcess:
    worker = WorkerProcess(env=env, log=log)
    await worker.start()
    started.append(worker)
    return worker


@dataclass
class Wake:
    """N customers, each with one reminder due a few minutes ago (inside the on-time grace)."""

    enrollments: list[Enrollment]
    definition: WorkflowDefinition
    zone: ZoneInfo


async def due_now(session: AsyncSession, count: int, *, minutes_ago: int = 2) -> Wake:
    now = datetime.now(UTC)
    zone = midday_zone(now)
    local = now.astimezone(zone) - timedelta(minutes=minutes_ago)
    await make_org(
        session,
        time_zone=zone.key,
        send_time=time(local.hour, local.minute),
        business_days_only=False,
    )
    today: date = local.date()
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollments = []
    for index in range(count):
        customer = await make_customer(session, name=f"Customer {index:03d}")
        await make_contact(session, customer, email=f"ap{index:03d}@customer.example")
        await make_invoice(session, customer, number=f"INV-{index:05d}", due_date=today)
        enrollments.append(await make_enrollment(session, customer, definition, anchor_date=today))
    await session.commit()
    return Wake(enrollments=enrollments, definition=definition, zone=zone)


async def start_all(client: Client, wake: Wake, task_queue: str) -> None:
    """Start every enrollment's workflow (no worker needs to be up: they wait in the queue)."""
    semaphore = asyncio.Semaphore(50)

    async def one(enrollment: Enrollment) -> None:
        async with semaphore:
            await enroll(
                client,
                EnrollmentInput(
                    enrollment_id=enrollment.id,
                    customer_id=enrollment.customer_id,
                    definition_id=wake.definition.id,
                ),
                actor="faults@acme.example",
                definition_name=wake.definition.name,
                task_queue=task_queue,
            )

    await asyncio.gather(*(one(e) for e in wake.enrollments))


async def delivery_counts(sessions: SessionFactory) -> dict[str, int]:
    async with sessions() as session:
        rows = (await session.exec(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    return {str(status): int(n) for status, n in rows}


async def wait_until_settled(
    sessions: SessionFactory, expected: int, timeout: float, *, settled: tuple[str, ...] = ("sent", "unknown")
) -> dict[str, int]:
    """Until `expected` deliveries exist and every one of them is in a settled status."""
    deadline = asyncio.get_running_loop().time() + timeout
    counts: dict[str, int] = {}
    while asyncio.get_running_loop().time() < deadline:
        counts = await delivery_counts(sessions)
        if sum(counts.get(s, 0) for s in settled) >= expected and sum(counts.values()) == expected:
            return counts
        await asyncio.sleep(0.5)
    raise TimeoutError(f"deliveries not settled after {timeout:.0f} s: {counts}")


async def wait_for_history(
    sessions: SessionFactory, actions: tuple[str, ...], expected: int, timeout: float
) -> int:
    """Until `expected` history entries with one of `actions` exist."""
    deadline = asyncio.get_running_loop().time() + timeout
    found = 0
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as session:
            found = (
                await session.exec(
                    select(func.count())
                    .select_from(HistoryEntry)
                    .where(col(HistoryEntry.action).in_(actions))
                )
            ).one()
        if found >= expected:
            return int(found)
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{found} of {expected} history entries after {timeout:.0f} s")


def report(name: str, **figures: Any) -> None:
    """Figures the reliability document quotes; shown with `pytest -s` and kept in the log."""
    line = " ".join(f"{key}={value}" for key, value in figures.items())
    sys.stdout.write(f"\nFAULT {name} {line}\n")
