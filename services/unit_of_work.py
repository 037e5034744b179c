"""The unit of work: one transaction, then the actions queued for after its commit (signals).

Services never talk to Temporal while the transaction is open. They register what to do with
`UnitOfWork.after_commit(...)`; `unit_of_work` commits and only then runs those actions, so a
workflow is never nudged (or started) about a change that was rolled back. Actions for the same
workflow run in order; different workflows run concurrently (a 1,000-customer sync starts 1,000
workflows). A lost nudge is harmless (the workflow re-reads Postgres); a failed start raises
`AfterCommitFailed` so the caller retries. The API's request dependency, the CLI and the bulk
activity all go through `unit_of_work`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models.db import SessionFactory
from models.settings import Settings
from services.errors import AfterCommitFailed

log = structlog.get_logger("arcadence.services")

AfterCommit = Callable[[], Awaitable[object]]
# Enough to start a large sync quickly without flooding the Temporal frontend.
AFTER_COMMIT_CONCURRENCY = 32


@dataclass
class AppState:
    """What every unit of work needs: settings, the session factory and the Temporal client."""

    settings: Settings
    sessions: SessionFactory
    temporal: Client
    task_queue: str


@dataclass
class _Pending:
    action: AfterCommit
    required: bool


@dataclass
class UnitOfWork:
    """One session, and what to do once its changes are committed (signals)."""

    session: AsyncSession
    state: AppState
    _after: dict[str, list[_Pending]] = field(default_factory=dict)

    def after_commit(self, action: AfterCommit, *, required: bool = False, key: str | None = None) -> None:
        """Run `action` after the commit. Actions sharing a `key` (a workflow id) run in the order
        given. A `required` one (starting a workflow) that fails raises `AfterCommitFailed`."""
        group = key if key is not None else f"#{sum(len(v) for v in self._after.values())}"
        self._after.setdefault(group, []).append(_Pending(action, required))

    @property
    def pending_after_commit(self) -> int:
        return sum(len(v) for v in self._after.values())

    async def run_after_commit(self) -> None:
        gate = asyncio.Semaphore(AFTER_COMMIT_CONCURRENCY)
        failed_required: list[str] = []

        async def run_group(key: str, actions: list[_Pending]) -> None:
            async with gate:
                for pending in actions:
                    try:
                        await pending.action()
                    except Exception as err:
                        log.warning(
                            "api.after_commit_failed", key=key, error=str(err), required=pending.required
                        )
                        if pending.required:
                            failed_required.append(key)

        groups, self._after = self._after, {}
        await asyncio.gather(*(run_group(k, v) for k, v in groups.items()))
        if failed_required:
            raise AfterCommitFailed(
                "Saved, but Temporal could not be reached to start the workflow; retry the request",
                details={"workflows": sorted(failed_required)[:100]},
            )


@asynccontextmanager
async def unit_of_work(
    state: AppState, *, statement_timeout_ms: int | None = None
) -> AsyncIterator[UnitOfWork]:
    """One transaction: committed when the block succeeds, rolled back when it raises; then,
    with the connection returned to the pool, the after-commit actions in their order.
    `statement_timeout_ms` bounds every statement of this transaction (`SET LOCAL`)."""
    async with state.sessions() as session:
        if statement_timeout_ms is not None:
            await session.exec(text(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}"))  # type: ignore[call-overload]
        uow = UnitOfWork(session=session, state=state)
        try:
            yield uow
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await uow.run_after_commit()
