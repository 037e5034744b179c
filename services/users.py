"""Users and their API keys.

Nobody can hand out more power than they hold: a role above one's own cannot be granted, and a
user who ranks at or above the caller (other than the caller) cannot be changed, nor get a key
issued or revoked by them. Owners manage everyone.
"""

from __future__ import annotations

from domain.enums import Role
from models import ApiKey, User
from models.repository import all_users, keys_of, user_by_email
from services.api_keys import IssuedKey, issue_key
from services.common import get_or_404, now
from services.errors import Conflict, Forbidden
from services.schemas.users import UserCreate, UserUpdate
from services.unit_of_work import UnitOfWork

RANK = {Role.OWNER: 3, Role.ADMIN: 2, Role.AR_MANAGER: 1}


def _rank(role: str) -> int:
    return RANK.get(Role(role), 0)


def _may_grant(actor: User, role: Role) -> None:
    if _rank(role) > _rank(actor.role):
        raise Forbidden(f"a {actor.role} cannot grant the role '{role.value}'", code="role_escalation")


def _may_manage(actor: User, target: User) -> None:
    if actor.id == target.id or Role(actor.role) == Role.OWNER:
        return
    if _rank(target.role) >= _rank(actor.role):
        raise Forbidden(f"a {actor.role} cannot manage a {target.role}", code="role_escalation")


async def create_user(uow: UnitOfWork, request: UserCreate, actor: User) -> User:
    _may_grant(actor, request.role)
    email = request.email.lower()
    if await user_by_email(uow.session, email) is not None:
        raise Conflict(f"a user with email {email} exists", code="duplicate_email")
    user = User(name=request.name, email=email, role=request.role.value)
    uow.session.add(user)
    await uow.session.flush()
    return user


async def list_users(uow: UnitOfWork) -> list[User]:
    return await all_users(uow.session)


async def update_user(uow: UnitOfWork, user_id: int, change: UserUpdate, actor: User) -> User:
    user = await get_or_404(uow.session, User, user_id, "user")
    _may_manage(actor, user)
    sent = change.model_dump(exclude_unset=True)
    if user.id == actor.id and (
        sent.get("active") is False or ("role" in sent and sent["role"] != Role(user.role))
    ):
        raise Conflict("you cannot deactivate yourself or change your own role", code="self_change")
    if change.role is not None:
        _may_grant(actor, change.role)
    for field, value in sent.items():
        if value is not None:
            setattr(user, field, value.value if isinstance(value, Role) else value)
    uow.session.add(user)
    return user


async def create_key(uow: UnitOfWork, user_id: int, name: str, actor: User) -> tuple[ApiKey, IssuedKey]:
    user = await get_or_404(uow.session, User, user_id, "user")
    _may_manage(actor, user)
    if not user.active:
        raise Conflict(f"user {user_id} is deactivated", code="user_inactive")
    issued = issue_key()
    key = ApiKey(user_id=user_id, name=name, prefix=issued.prefix, key_hash=issued.key_hash)
    uow.session.add(key)
    await uow.session.flush()
    return key, issued


async def list_keys(uow: UnitOfWork, user_id: int) -> list[ApiKey]:
    await get_or_404(uow.session, User, user_id, "user")
    return await keys_of(uow.session, user_id)


async def revoke_key(uow: UnitOfWork, key_id: int, actor: User) -> ApiKey:
    """Refused from the very next request (keys are checked on every call)."""
    key = await get_or_404(uow.session, ApiKey, key_id, "API key")
    _may_manage(actor, await get_or_404(uow.session, User, key.user_id, "user"))
    if key.revoked_at is None:
        key.revoked_at = now()
        uow.session.add(key)
    return key
