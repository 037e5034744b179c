"""Users and API keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Manager, UnitOfWorkDep
from api.params import PathId
from services import users as service
from services.schemas.users import IssuedKeyOut, KeyCreate, KeyOut, UserCreate, UserOut, UserUpdate

router = APIRouter(tags=["users"])


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(request: UserCreate, uow: UnitOfWorkDep, user: Manager) -> UserOut:
    return UserOut.model_validate(await service.create_user(uow, request, user))


@router.get("/users", summary="List users")
async def list_users(uow: UnitOfWorkDep, user: Manager) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await service.list_users(uow)]


@router.patch("/users/{user_id}", summary="Rename, change the role of, or deactivate a user")
async def update_user(user_id: PathId, change: UserUpdate, uow: UnitOfWorkDep, user: Manager) -> UserOut:
    return UserOut.model_validate(await service.update_user(uow, user_id, change, user))


@router.post(
    "/users/{user_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the secret is shown once)",
)
async def create_key(user_id: PathId, request: KeyCreate, uow: UnitOfWorkDep, user: Manager) -> IssuedKeyOut:
    key, issued = await service.create_key(uow, user_id, request.name, user)
    return IssuedKeyOut.model_validate({**KeyOut.model_validate(key).model_dump(), "secret": issued.secret})


@router.get("/users/{user_id}/api-keys", summary="List a user's API keys (never their secrets)")
async def list_keys(user_id: PathId, uow: UnitOfWorkDep, user: Manager) -> list[KeyOut]:
    return [KeyOut.model_validate(k) for k in await service.list_keys(uow, user_id)]


@router.post("/api-keys/{key_id}/revoke", summary="Revoke an API key at once")
async def revoke_key(key_id: PathId, uow: UnitOfWorkDep, user: Manager) -> KeyOut:
    return KeyOut.model_validate(await service.revoke_key(uow, key_id, user))
