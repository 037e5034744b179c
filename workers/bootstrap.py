"""The first user and key of a new deployment (the API needs a key to be used at all)."""

from __future__ import annotations

from sqlmodel import select

from domain.enums import Role
from models import ApiKey, User
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from services.api_keys import hash_key, issue_key
from services.sign_in_links import new_link_key


async def create_user_with_key(
    sessions: SessionFactory, *, name: str, email: str, role: Role = Role.OWNER, key_name: str = "bootstrap"
) -> str:
    """Create (or reuse) the user and issue a new API key; returns the secret, shown once."""
    async with unit_of_work(sessions) as session:
        user = (await session.exec(select(User).where(User.email == email.lower()))).first()
        if user is None:
            user = User(name=name, email=email.lower(), role=role.value)
            session.add(user)
            await session.flush()
        issued = issue_key()
        session.add(
            ApiKey(user_id=require_id(user), name=key_name, prefix=issued.prefix, key_hash=issued.key_hash)
        )
    return issued.secret


async def has_users(sessions: SessionFactory) -> bool:
    async with sessions() as session:
        return (await session.exec(select(User).limit(1))).first() is not None


async def issue_sign_in_link(
    sessions: SessionFactory, *, email: str | None = None, key: str | None = None
) -> str | None:
    """A one-time console sign-in link's secret (`services.sign_in_links`) for the user with this
    email, or the user of this API key; None when there is no such user or key."""
    async with unit_of_work(sessions) as session:
        if email is not None:
            user = (await session.exec(select(User).where(User.email == email.lower()))).first()
            user_id = user.id if user is not None else None
        else:
            row = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key or "")))).first()
            user_id = row.user_id if row is not None and row.revoked_at is None else None
        if user_id is None:
            return None
        link, secret = new_link_key(user_id)
        session.add(link)
    return secret
