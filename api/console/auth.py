"""Who is using the console: the session cookie read back into a user, the CSRF check on every
change, and the same role rule as the API (`api.deps.may`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request

from api.console import session as cookie
from api.deps import UnitOfWorkDep, may
from domain.enums import Role
from models import ApiKey, User
from services.common import now
from services.unit_of_work import UnitOfWork


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class Refused(Exception):
    """Signed in, but not allowed (role) or a change without its CSRF token: a 403 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Visitor:
    """The signed-in user and their session (for the CSRF token the pages embed)."""

    user: User
    session: cookie.ConsoleSession

    def may(self, roles: frozenset[Role]) -> bool:
        return may(self.user, roles)

    @property
    def csrf(self) -> str:
        return self.session.csrf


def secret_of(request: Request) -> bytes:
    secret: bytes = request.app.state.console_secret
    return secret


async def visitor_of(request: Request, uow: UnitOfWork) -> Visitor | None:
    """The session's user while its key is unrevoked, unchanged and the user active."""
    secret = secret_of(request)
    found = cookie.read(secret, request.cookies.get(cookie.COOKIE), now=now())
    if found is None:
        return None
    key = await uow.session.get(ApiKey, found.key_id)
    if (
        key is None
        or key.revoked_at is not None
        or key.user_id != found.user_id
        or cookie.key_fingerprint(secret, key.key_hash) != found.key_fingerprint
    ):
        return None
    user = await uow.session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    return Visitor(user=user, session=found)


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body, first value of each field (no multipart: the console sends none)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


async def signed_in(request: Request, uow: UnitOfWorkDep) -> Visitor:
    """A page's visitor; every method but GET/HEAD must also carry the session's CSRF token, in
    the form (`csrf_token`) or, from htmx, in the `X-CSRF-Token` header."""
    visitor = await visitor_of(request, uow)
    if visitor is None:
        raise SignInRequired
    if request.method not in ("GET", "HEAD"):
        sent = request.headers.get(cookie.CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            sent = (await form_of(request)).get(cookie.CSRF_FIELD)
        if not cookie.csrf_ok(visitor.session, sent):
            raise Refused("This form has expired or did not come from the console; reload the page.")
    return visitor


SignedIn = Annotated[Visitor, Depends(signed_in)]


def require(visitor: Visitor, roles: frozenset[Role]) -> None:
    if not visitor.may(roles):
        raise Refused(f"Your role ({visitor.user.role}) may not do this.")
