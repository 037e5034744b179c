"""The API under test: the real app over a database of the test's own, Temporal's time-skipping
server with a real worker on the test's own task queue, and one API key per role."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from activities.channels.outbox import OutboxChannel
from activities.documents import DocumentFetcher, parse_networks
from api.app import create_app
from domain.enums import Role
from models import ApiKey, Enrollment, User
from models.base import require_id
from models.db import SessionFactory, session_factory
from models.settings import Settings
from services.api_keys import issue_key
from workers.worker import build_worker
from workflows.enrollment_types import enrollment_workflow_id

NY = ZoneInfo("America/New_York")


@dataclass
class Api:
    app: FastAPI
    http: httpx.AsyncClient
    keys: dict[Role, str]
    users: dict[Role, User]
    sessions: SessionFactory
    env: WorkflowEnvironment
    task_queue: str
    started: list[str] = field(default_factory=list)

    def as_(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def call(self, method: str, path: str, role: Role = Role.ADMIN, **kwargs: Any) -> httpx.Response:
        headers = {**self.as_(role), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def ok(
        self, method: str, path: str, role: Role = Role.ADMIN, status: int = 200, **kwargs: Any
    ) -> Any:
        response = await self.call(method, path, role, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def refused(
        self, method: str, path: str, status: int, code: str | None = None, role: Role = Role.ADMIN, **kw: Any
    ) -> dict[str, Any]:
        """The request fails with `status` (and `code`) in the one error shape."""
        response = await self.call(method, path, role, **kw)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
        if code is not None:
            assert body["error"]["code"] == code, body
        return body

    async def count(self, model: type) -> int:
        async with self.sessions() as session:
            return int((await session.exec(select(func.count()).select_from(model))).one())

    async def today(self) -> date:
        return (await self.env.get_current_time()).astimezone(NY).date()

    async def workflow_running(self, workflow_id: str) -> bool:
        # The raw call: the test server's datetime search attributes trip describe()'s decoder.
        raw = await self.env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.env.client.namespace,
                execution={"workflow_id": workflow_id},  # type: ignore[arg-type]
            )
        )
        status = raw.workflow_execution_info.status
        return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING

    async def signals(self, workflow_id: str) -> list[str]:
        """The names of the signals a workflow received, in order."""
        history = await self.env.client.get_workflow_handle(workflow_id).fetch_history()
        return [
            e.workflow_execution_signaled_event_attributes.signal_name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ]

    async def eventually(self, check: Any, timeout: float = 10) -> None:
        """Poll `check()` (async) until it is truthy."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "condition never held"
            await asyncio.sleep(0.05)

    async def bulk_enroll(self, definition_id: int, customer_ids: list[int]) -> dict[str, Any]:
        """A bulk enrollment job, followed until it has finished: its progress with outcomes."""
        job = await self.ok(
            "POST",
            "/enrollments/bulk",
            status=202,
            json={"definition_id": definition_id, "customer_ids": customer_ids},
        )
        progress: dict[str, Any] = {}
        for _ in range(300):
            progress = await self.ok("GET", f"/enrollments/bulk/{job['job_id']}?outcomes=true", Role.VIEWER)
            if progress["finished"]:
                break
            await asyncio.sleep(0.1)
        assert progress["finished"], progress
        return progress

    async def workflow(self, **overrides: Any) -> dict[str, Any]:
        return await self.ok("POST", "/workflows", status=201, json={**WORKFLOW, **overrides})

    async def customer(self, external_id: str = "QB-1", **overrides: Any) -> dict[str, Any]:
        body = {
            "external_id": external_id,
            "name": "Globex",
            "contacts": [{"name": "Jane", "email": "ap@globex.example"}],
            **overrides,
        }
        return await self.ok("POST", "/customers", status=201, json=body)

    async def invoice(
        self, customer_external_id: str = "QB-1", due_in_days: int = 10, **overrides: Any
    ) -> Any:
        due = await self.today() + timedelta(days=due_in_days)
        body = {
            "external_id": f"I-{customer_external_id}",
            "customer_external_id": customer_external_id,
            "number": "INV-1042",
            "total": "2340.50",
            "balance_due": "2340.50",
            "issue_date": str(due - timedelta(days=30)),
            "due_date": str(due),
            **overrides,
        }
        synced = await self.ok("POST", "/invoices/batch", json={"invoices": [body]})
        return await self.ok("GET", f"/invoices/{synced['items'][0]['id']}")

    async def enroll(self, customer_id: int, definition_id: int) -> dict[str, Any]:
        return await self.ok(
            "POST", f"/customers/{customer_id}/enrollment", status=201, json={"definition_id": definition_id}
        )


@pytest.fixture
def worker_webhook_tls() -> ssl.SSLContext | None:
    """The TLS context of automations' webhook calls (None: the system's CAs); a module that
    calls a local HTTPS stub overrides it with one that trusts the stub's authority."""
    return None


@pytest_asyncio.fixture
async def api(
    db_engine: AsyncEngine,
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Api]:
    # A module may provide `worker_webhook_tls` (see above); the others import `api` alone.
    try:
        tls: ssl.SSLContext | None = request.getfixturevalue("worker_webhook_tls")
    except pytest.FixtureLookupError:
        tls = None
    worker_webhooks = httpx.AsyncClient(verify=tls) if tls is not None else None
    sessions = session_factory(db_engine)
    keys: dict[Role, str] = {}
    users: dict[Role, User] = {}
    async with sessions() as session:
        for role in Role:
            user = User(name=f"{role.value} person", email=f"{role.value}@acme.example", role=role.value)
            session.add(user)
            await session.flush()
            issued = issue_key()
            session.add(ApiKey(user_id=user.id, prefix=issued.prefix, key_hash=issued.key_hash))
            keys[role], users[role] = issued.secret, user
        await session.commit()
    app = create_app(Settings(), sessions=sessions, temporal=time_skipping_env.client, task_queue=task_queue)
    outbox = OutboxChannel(sessions)
    # Invoice PDFs come from the tests' local HTTP stub, on loopback: allowed here explicitly.
    documents = DocumentFetcher(allowed_networks=parse_networks(["127.0.0.1/32", "::1/128"]))
    worker = build_worker(
        time_skipping_env.client,
        task_queue=task_queue,
        sessions=sessions,
        email=outbox,
        sms=outbox,
        documents=documents,
        webhooks=worker_webhooks,
    )
    async with worker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            harness = Api(app, http, keys, users, sessions, time_skipping_env, task_queue)
            try:
                yield harness
            finally:
                async with sessions() as session:
                    for row in (await session.exec(select(Enrollment))).all():
                        # Its own id too: a test may have pointed the row elsewhere, and a workflow
                        # left running on a queue nobody polls stalls the module's time skipping.
                        for workflow_id in {row.workflow_id, enrollment_workflow_id(require_id(row))}:
                            handle = time_skipping_env.client.get_workflow_handle(workflow_id)
                            with contextlib.suppress(Exception):  # never started, or already closed
                                await handle.terminate("test done")
                if worker_webhooks is not None:
                    await worker_webhooks.aclose()


WORKFLOW: dict[str, Any] = {
    "name": "Net 30 reminders",
    "kind": "invoice",
    "steps": [
        {"offset_days": -3, "action": "customer_email"},
        {"offset_days": 7, "action": "customer_email"},
        {"offset_days": 14, "action": "task", "parameters": {"title": "Call the customer"}},
    ],
}
AUTOPAY_WORKFLOW: dict[str, Any] = {
    "name": "Auto-pay notice",
    "kind": "autopay",
    "steps": [{"offset_days": -3, "action": "customer_email"}],
}
