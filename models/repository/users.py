"""Users and their API keys."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.recipients import InternalUser
from models import ApiKey, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.exec(select(User).where(User.email == email))).first()


async def all_users(session: AsyncSession) -> list[User]:
    return list((await session.exec(select(User).order_by(col(User.id)))).all())


async def existing_user_ids(session: AsyncSession, ids: set[int]) -> set[int]:
    """Those of `ids` that name a user."""
    return {
        i for i in (await session.exec(select(User.id).where(col(User.id).in_(ids)))).all() if i is not None
    }


async def keys_of(session: AsyncSession, user_id: int) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(col(ApiKey.id))
    return list((await session.exec(query)).all())


async def active_internal_users(session: AsyncSession, ids: list[int]) -> dict[int, InternalUser]:
    """The active users among `ids`, as internal recipients."""
    if not ids:
        return {}
    query = select(User).where(col(User.id).in_(ids)).where(col(User.active).is_(True))
    return {
        u.id: InternalUser(id=u.id, name=u.name, email=u.email)
        for u in (await session.exec(query)).all()
        if u.id is not None
    }


async def key_by_hash(session: AsyncSession, key_hash: str, *, lock: bool = False) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.key_hash == key_hash)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query)).first()
