"""One-time console sign-in links, printed by `arcadence create-owner` and `make dev`.

A link carries the secret of an API key of its own (named `SIGN_IN_LINK`, stored hashed like
every key). It is short-lived: refused once `console_link_minutes` have passed since it was
made. It is single use: redeeming it locks the key's row and stamps its `last_used_at`; a key
already stamped is refused. The console session it opens is bound to that key, as a session
opened with a typed key is (revoke it to end the session). It is never an API key: the API and
the sign-in form refuse it (`is_sign_in_link`)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from models import ApiKey, User
from models.repository import key_by_hash
from services.api_keys import hash_key, issue_key, prefix_of
from services.common import now
from services.errors import Unauthorized
from services.unit_of_work import UnitOfWork

SIGN_IN_LINK = "console sign-in link"
LINK_PATH = "/sign-in/link"


def is_sign_in_link(key: ApiKey) -> bool:
    return key.name == SIGN_IN_LINK


def link_url(console_address: str, secret: str) -> str:
    return f"{console_address}{LINK_PATH}?token={quote(secret)}"


def new_link_key(user_id: int) -> tuple[ApiKey, str]:
    """The key row to add, and the secret for the link (shown once)."""
    issued = issue_key()
    key = ApiKey(user_id=user_id, name=SIGN_IN_LINK, prefix=issued.prefix, key_hash=issued.key_hash)
    return key, issued.secret


class LinkRefused(Unauthorized):
    """Why a link does not sign in: unknown, used, expired, or its user deactivated."""


async def redeem(uow: UnitOfWork, secret: str, minutes: int) -> tuple[User, ApiKey]:
    """The link's user and key, once: the key is stamped as used in this transaction."""
    unknown = LinkRefused("This sign-in link is not valid.", code="sign_in_link_unknown")
    if prefix_of(secret) is None:
        raise unknown
    key = await key_by_hash(uow.session, hash_key(secret), lock=True)
    if key is None or not is_sign_in_link(key) or key.revoked_at is not None:
        raise unknown
    if key.last_used_at is not None:
        raise LinkRefused(
            "This sign-in link has already been used; each link signs in once.", code="sign_in_link_used"
        )
    if key.created_at + timedelta(minutes=minutes) <= now():
        raise LinkRefused(
            f"This sign-in link has expired (links last {minutes} minutes).", code="sign_in_link_expired"
        )
    user = await uow.session.get(User, key.user_id)
    if user is None or not user.active:
        raise LinkRefused("The link's user is deactivated.", code="sign_in_link_user_inactive")
    key.last_used_at = now()
    uow.session.add(key)
    return user, key
