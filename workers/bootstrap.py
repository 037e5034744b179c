"""The first user and key of a new deployment (the API needs a key to be used at all)."""

from __future__ import annotations

from sqlmodel import select

from domain.enums import Role
from models import ApiKey, User
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from services.api_keys import issue_key


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
