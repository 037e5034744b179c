"""The engine under test: a real worker, real activities, a database of the test's own,
the outbox channel, and Temporal's time-skipping server."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.channels.base import EmailChannel, SmsChannel
from activities.channels.outbox import OutboxChannel
from activities.documents import DocumentFetcher
from models import Delivery, Enrollment, HistoryEntry, OutboxMessage, WorkflowDefinition
from models.db import SessionFactory, session_factory
from tests.api.conftest import api, worker_webhook_tls  # noqa: F401  (the API harness, for engine scenarios through the API)
from workers.worker import build_worker
from workflows.client import enroll
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import EnrollmentInput, EnrollmentStatus, FirstWake

SETTLED = ("Waiting", "Paused", "Completed", "Cancelled")
WORKFLOW_EXECUTION_STATUS_RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


@dataclass
class Engine:
    env: WorkflowEnvironment
    task_queue: str
    sessions: SessionFactory
    handles: list[WorkflowHandle[EnrollmentWorkflow, str]] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.env.client

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def start(
        self,
        enrollment: Enrollment,
        definition: WorkflowDefinition,
        *,
        max_steps_per_run: int = 100,
        first_wake: FirstWake | None = None,
    ) -> WorkflowHandle[EnrollmentWorkflow, str]:
        handle = await enroll(
            self.client,
            EnrollmentInput(
                enrollment_id=enrollment.id,
                customer_id=enrollment.customer_id,
                definition_id=definition.id,
                customer_name="Globex Corp",
                max_steps_per_run=max_steps_per_run,
                first_wake=first_wake,
            ),
            actor="admin@acme.example",
            definition_name=definition.name,
            task_queue=self.task_queue,
        )
        self.handles.append(handle)
        await self.settle(handle)
        return handle

    async def settle(
        self, handle: WorkflowHandle[EnrollmentWorkflow, str], timeout: float = 30
    ) -> EnrollmentStatus | None:
        """Wait until the workflow sleeps (or ended): its activities are done, the DB is quiet."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            # The raw call: the test server's datetime search attributes trip describe()'s decoder.
            raw = await self.client.workflow_service.describe_workflow_execution(
                DescribeWorkflowExecutionRequest(
                    namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
                )
            )
            if raw.workflow_execution_info.status != WORKFLOW_EXECUTION_STATUS_RUNNING:
                return None  # ended: read the outcome from Postgres (querying a closed run replays it)
            status = await handle.query(EnrollmentWorkflow.status)
            busy = raw.pending_activities or raw.HasField("pending_workflow_task")
            if status.details.startswith(SETTLED) and not busy:
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"workflow did not settle: {status.details}")
            if any(a.attempt > 1 for a in raw.pending_activities):
                # An activity waits out its retry backoff: move the test server's clock along.
                await self.env.sleep(timedelta(seconds=30))
            await asyncio.sleep(0.05)

    async def wait_for(
        self,
        handle: WorkflowHandle[EnrollmentWorkflow, str],
        predicate: Callable[[EnrollmentStatus], bool],
        timeout: float = 15,
    ) -> EnrollmentStatus | None:
        """After a signal: wait until the workflow's status shows it was handled, then settle."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate(status := await handle.query(EnrollmentWorkflow.status)):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"condition not reached: {status}")
            await asyncio.sleep(0.05)
        return await self.settle(handle)

    async def advance(
        self, handle: WorkflowHandle[EnrollmentWorkflow, str], duration: timedelta
    ) -> EnrollmentStatus | None:
        """Skip time in steps no longer than a day, letting the workflow act at each wake-up."""
        remaining = duration
        while remaining > timedelta(0):
            step = min(remaining, timedelta(days=1))
            await self.env.sleep(step)
            remaining -= step
            await self.settle(handle)
        return await self.settle(handle)

    @contextlib.asynccontextmanager
    async def worker(
        self,
        *,
        email: EmailChannel | None = None,
        sms: SmsChannel | None = None,
        documents: DocumentFetcher | None = None,
    ) -> AsyncIterator[Engine]:
        """A second worker, on a task queue of its own, with other channels (e.g. a flaky one) or
        another document fetcher (e.g. one allowed to fetch PDFs from the test's loopback server)."""
        queue = f"{self.task_queue}-{uuid.uuid4().hex[:6]}"
        outbox = OutboxChannel(self.sessions)
        other = Engine(env=self.env, task_queue=queue, sessions=self.sessions, handles=self.handles)
        worker = build_worker(
            self.client,
            task_queue=queue,
            sessions=self.sessions,
            email=email or outbox,
            sms=sms or outbox,
            documents=documents,
        )
        async with worker:
            yield other

    async def terminate_all(self) -> None:
        for handle in self.handles:
            with contextlib.suppress(Exception):  # already closed
                await handle.terminate("test finished")

    async def rows(self, model: Any, *where: Any, order_by: Any = None) -> list[Any]:
        async with self.sessions() as session:
            query = select(model).where(*where)
            if order_by is not None:
                query = query.order_by(order_by)
            return list((await session.exec(query)).all())

    async def outbox(self, customer_id: int) -> list[OutboxMessage]:
        deliveries = await self.rows(Delivery, Delivery.customer_id == customer_id)
        ids = [d.id for d in deliveries]
        if not ids:
            return []
        return await self.rows(
            OutboxMessage, col(OutboxMessage.delivery_id).in_(ids), order_by=col(OutboxMessage.id)
        )

    async def deliveries(self, customer_id: int) -> list[Delivery]:
        return await self.rows(Delivery, Delivery.customer_id == customer_id, order_by=col(Delivery.sent_at))

    async def history(self, customer_id: int) -> list[HistoryEntry]:
        return await self.rows(
            HistoryEntry, HistoryEntry.customer_id == customer_id, order_by=col(HistoryEntry.occurred_at)
        )


HISTORIES = Path(__file__).parent / "histories"


async def _save_histories(harness: Engine, test_name: str) -> None:
    """Keep real histories for the replay test (pytest --record-histories)."""
    HISTORIES.mkdir(exist_ok=True)
    for index, handle in enumerate(harness.handles):
        history = await handle.fetch_history()
        name = re.sub(r"[^a-z0-9_]+", "_", test_name.lower()).strip("_")
        (HISTORIES / f"{name}_{index}.json").write_text(history.to_json())


@pytest_asyncio.fixture
async def cadence(
    time_skipping_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    task_queue: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Engine]:
    sessions = session_factory(db_engine)
    outbox = OutboxChannel(sessions)
    worker = build_worker(
        time_skipping_env.client, task_queue=task_queue, sessions=sessions, email=outbox, sms=outbox
    )
    harness = Engine(env=time_skipping_env, task_queue=task_queue, sessions=sessions)
    async with worker:
        try:
            yield harness
        finally:
            if request.config.getoption("--record-histories"):
                await _save_histories(harness, request.node.name)
            await harness.terminate_all()
