"""Request dependencies: the unit of work (one commit per request), the caller, their role.

After-commit signalling: services never talk to Temporal directly while the transaction is
open. They register what to do with `UnitOfWork.after_commit(...)`; the request dependency
commits and only then runs those actions, so a workflow is never nudged (or started) about a
change that was rolled back. Actions for the same workflow run in order; different workflows
run concurrently (a 1,000-customer sync starts 1,000 workflows). A lost nudge is harmless (the
workflow re-reads Postgres); a failed start is reported as 503 so the caller retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

import structlog
from fastapi import Depends, Request
from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.auth import hash_key, matches, prefix_of
from api.errors import Forbidden, Unauthorized, Unavailable
from domain.enums import Role
from models import ApiKey, User
from models.db import SessionFactory
from models.settings import Settings

log = structlog.get_logger("arcadence.api")

AfterCommit = Callable[[], Awaitable[object]]
# Enough to start a large sync quickly without flooding the Temporal frontend.
AFTER_COMMIT_CONCURRENCY = 32


@dataclass
class AppState:
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
    """The request's session, and what to do once its changes are committed (signals)."""

    session: AsyncSession
    state: AppState
    _after: dict[str, list[_Pending]] = field(default_factory=dict)

    def after_commit(self, action: AfterCommit, *, required: bool = False, key: str | None = None) -> None:
        """Run `action` after the commit. Actions sharing a `key` (a workflow id) run in the order
        given. A `required` one (starting a workflow) that fails turns into a 503."""
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
            raise Unavailable(
                "Saved, but Temporal could not be reached to start the workflow; retry the request",
                code="temporal_unavailable",
                details={"workflows": sorted(failed_required)[:100]},
            )


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.arcadence
    return state


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's one transaction: committed when the route returns, rolled back if it raises;
    then the after-commit actions. `scope="function"` makes this run before the response is sent,
    so a failed commit is never answered with a success."""
    state = app_state(request)
    async with state.sessions() as session:
        timeout_ms = int(state.settings.db_statement_timeout_ms)
        await session.exec(text(f"SET LOCAL statement_timeout = {timeout_ms}"))  # type: ignore[call-overload]
        uow = UnitOfWork(session=session, state=state)
        try:
            yield uow
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await uow.run_after_commit()


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


async def current_user(request: Request, uow: UnitOfWorkDep) -> User:
    """The caller, from `Authorization: Bearer ak_<prefix>_<secret>`; revoked keys and inactive
    users are refused on the very next request."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or prefix_of(secret) is None:
        raise Unauthorized("Send `Authorization: Bearer <api key>`")
    key = (await uow.session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))).first()
    if key is None or not matches(secret, key.key_hash) or key.revoked_at is not None:
        raise Unauthorized("Unknown or revoked API key")
    user = await uow.session.get(User, key.user_id)
    if user is None or not user.active:
        raise Unauthorized("The key's user is deactivated")
    return user


CurrentUser = Annotated[User, Depends(current_user)]

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN, Role.AR_MANAGER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
SUPPORT = MANAGERS | {Role.SUPPORT}
TASK_WORKERS = MANAGERS | {Role.AR_SPECIALIST}


def require(roles: frozenset[Role]) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only `roles` through (403 otherwise). The allowed set is kept on
    the function so that the role-matrix test reads it from every route."""

    async def check(user: CurrentUser) -> User:
        if Role(user.role) not in roles:
            raise Forbidden(
                f"Role '{user.role}' may not do this", details={"allowed": sorted(r.value for r in roles)}
            )
        return user

    check.allowed_roles = roles  # type: ignore[attr-defined]
    return check


Reader = Annotated[User, Depends(require(EVERYONE))]
Manager = Annotated[User, Depends(require(MANAGERS))]
Admin = Annotated[User, Depends(require(ADMINS))]
Supporter = Annotated[User, Depends(require(SUPPORT))]
TaskWorker = Annotated[User, Depends(require(TASK_WORKERS))]
