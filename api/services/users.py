"""Users and their API keys."""

from __future__ import annotations

from sqlmodel import col, select

from api.auth import IssuedKey, issue_key
from api.deps import UnitOfWork
from api.errors import Conflict
from api.schemas.users import UserCreate, UserUpdate
from api.services.common import get_or_404, now
from models import ApiKey, User


async def create_user(uow: UnitOfWork, request: UserCreate) -> User:
    email = request.email.lower()
    if (await uow.session.exec(select(User).where(User.email == email))).first() is not None:
        raise Conflict(f"a user with email {email} exists", code="duplicate_email")
    user = User(name=request.name, email=email, role=request.role.value)
    uow.session.add(user)
    await uow.session.flush()
    return user


async def list_users(uow: UnitOfWork) -> list[User]:
    return list((await uow.session.exec(select(User).order_by(col(User.id)))).all())


async def update_user(uow: UnitOfWork, user_id: int, change: UserUpdate) -> User:
    user = await get_or_404(uow.session, User, user_id, "user")
    for field, value in change.model_dump(exclude_unset=True).items():
        setattr(user, field, value.value if hasattr(value, "value") else value)
    uow.session.add(user)
    return user


async def create_key(uow: UnitOfWork, user_id: int, name: str) -> tuple[ApiKey, IssuedKey]:
    await get_or_404(uow.session, User, user_id, "user")
    issued = issue_key()
    key = ApiKey(user_id=user_id, name=name, prefix=issued.prefix, key_hash=issued.key_hash)
    uow.session.add(key)
    await uow.session.flush()
    return key, issued


async def list_keys(uow: UnitOfWork, user_id: int) -> list[ApiKey]:
    await get_or_404(uow.session, User, user_id, "user")
    return list((await uow.session.exec(select(ApiKey).where(ApiKey.user_id == user_id))).all())


async def revoke_key(uow: UnitOfWork, key_id: int) -> ApiKey:
    key = await get_or_404(uow.session, ApiKey, key_id, "API key")
    if key.revoked_at is None:
        key.revoked_at = now()
        uow.session.add(key)
    return key
