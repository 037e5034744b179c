"""Request dependencies: the unit of work (one commit per request), the caller, their role.

The unit of work and its after-commit signals are `services.unit_of_work`'s; here it is opened
once per request, with the request's statement timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import select

from domain.enums import Role

# The role sets are the domain's: approval gates rank roles by the same sets (re-exported).
from domain.roles import ADMINS as ADMINS
from domain.roles import EVERYONE as EVERYONE
from domain.roles import MANAGERS as MANAGERS
from domain.roles import SUPPORT as SUPPORT
from domain.roles import TASK_WORKERS as TASK_WORKERS
from models import ApiKey, User
from services.api_keys import hash_key, matches, prefix_of
from services.errors import Forbidden, Unauthorized
from services.sign_in_links import is_sign_in_link
from services.unit_of_work import AppState, UnitOfWork
from services.unit_of_work import unit_of_work as open_unit_of_work


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.arcadence
    return state


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's one transaction: committed when the route returns, rolled back if it raises;
    then the after-commit actions. `scope="function"` makes this run before the response is sent,
    so a failed commit is never answered with a success."""
    state = app_state(request)
    timeout_ms = state.settings.db_statement_timeout_ms
    async with open_unit_of_work(state, statement_timeout_ms=timeout_ms) as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


async def key_holder(uow: UnitOfWork, secret: str) -> tuple[User, ApiKey]:
    """The user of API key `secret`, and the key; unknown or revoked keys and inactive users are
    refused (the console's sign-in uses this too)."""
    if prefix_of(secret) is None:
        raise Unauthorized("Unknown or revoked API key")
    key = (await uow.session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))).first()
    if (
        key is None
        or not matches(secret, key.key_hash)
        or key.revoked_at is not None
        or is_sign_in_link(key)  # a one-time console link is not an API key
    ):
        raise Unauthorized("Unknown or revoked API key")
    user = await uow.session.get(User, key.user_id)
    if user is None or not user.active:
        raise Unauthorized("The key's user is deactivated")
    return user, key


async def current_user(request: Request, uow: UnitOfWorkDep) -> User:
    """The caller, from `Authorization: Bearer ak_<prefix>_<secret>`; revoked keys and inactive
    users are refused on the very next request."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or prefix_of(secret) is None:
        raise Unauthorized("Send `Authorization: Bearer <api key>`")
    user, _ = await key_holder(uow, secret)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def may(user: User, roles: frozenset[Role]) -> bool:
    """The one role rule: the API's routes and the console's pages and buttons all ask this."""
    return Role(user.role) in roles


def check_role(user: User, roles: frozenset[Role]) -> None:
    if not may(user, roles):
        raise Forbidden(
            f"Role '{user.role}' may not do this", details={"allowed": sorted(r.value for r in roles)}
        )


def require(roles: frozenset[Role]) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only `roles` through (403 otherwise). The allowed set is kept on
    the function so that the role-matrix test reads it from every route."""

    async def check(user: CurrentUser) -> User:
        check_role(user, roles)
        return user

    check.allowed_roles = roles  # type: ignore[attr-defined]
    return check


Reader = Annotated[User, Depends(require(EVERYONE))]
Manager = Annotated[User, Depends(require(MANAGERS))]
Admin = Annotated[User, Depends(require(ADMINS))]
Supporter = Annotated[User, Depends(require(SUPPORT))]
TaskWorker = Annotated[User, Depends(require(TASK_WORKERS))]
