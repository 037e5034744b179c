"""Request dependencies: the unit of work (one commit per request), the caller, their role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


@dataclass
class AppState:
    settings: Settings
    sessions: SessionFactory
    temporal: Client
    task_queue: str


@dataclass
class UnitOfWork:
    """The request's session, and what to do once its changes are committed (signals)."""

    session: AsyncSession
    state: AppState
    _after: list[tuple[AfterCommit, bool]] = field(default_factory=list)

    def after_commit(self, action: AfterCommit, *, required: bool = False) -> None:
        """Run `action` after the commit. A lost nudge is harmless (workflows re-read Postgres);
        a `required` one (starting a workflow) turns into a 503 the caller can retry."""
        self._after.append((action, required))

    async def run_after_commit(self) -> None:
        for action, required in self._after:
            try:
                await action()
            except Exception as err:
                log.warning("api.after_commit_failed", error=str(err), required=required)
                if required:
                    raise Unavailable(
                        "Saved, but Temporal could not be reached; retry the request",
                        code="temporal_unavailable",
                    ) from err


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.arcadence
    return state


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    state = app_state(request)
    async with state.sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            text(f"SET LOCAL statement_timeout = {int(state.settings.db_statement_timeout_ms)}")
        )
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
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret or prefix_of(secret.strip()) is None:
        raise Unauthorized("Send `Authorization: Bearer <api key>`")
    secret = secret.strip()
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


def utcnow() -> datetime:
    return datetime.now(UTC)
