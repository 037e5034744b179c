"""The API under test: the real app over a database of the test's own and Temporal's
time-skipping server, with one API key per role."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.channels.outbox import OutboxChannel
from api.app import create_app
from api.auth import issue_key
from domain.enums import Role
from models import ApiKey, Enrollment, User
from models.db import SessionFactory, session_factory
from models.settings import Settings
from workers.worker import build_worker


@dataclass
class Api:
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
        return await self.http.request(method, path, headers=self.as_(role), **kwargs)

    async def ok(
        self, method: str, path: str, role: Role = Role.ADMIN, status: int = 200, **kwargs: Any
    ) -> Any:
        response = await self.call(method, path, role, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


@pytest_asyncio.fixture
async def api(
    db_engine: AsyncEngine, time_skipping_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[Api]:
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
    worker = build_worker(
        time_skipping_env.client, task_queue=task_queue, sessions=sessions, email=outbox, sms=outbox
    )
    async with worker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            harness = Api(http, keys, users, sessions, time_skipping_env, task_queue)
            try:
                yield harness
            finally:
                async with sessions() as session:
                    for row in (await session.exec(select(Enrollment))).all():
                        handle = time_skipping_env.client.get_workflow_handle(row.workflow_id)
                        with contextlib.suppress(Exception):  # never started, or already closed
                            await handle.terminate("test done")


WORKFLOW = {
    "name": "Net 30 reminders",
    "kind": "invoice",
    "steps": [
        {"offset_days": -3, "action": "customer_email"},
        {"offset_days": 7, "action": "customer_email"},
        {"offset_days": 14, "action": "task", "parameters": {"title": "Call the customer"}},
    ],
}
