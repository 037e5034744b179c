"""Users & keys (owners and admins): the users with their roles, a new user, a role changed, a
user deactivated or reactivated, an API key issued (its secret shown once, on the page that
answers the form, never stored) or revoked. Every change calls the service the API's user and
key routes call (`services.users`), whose rules (no role above one's own, nobody ranked at or above
oneself) refuse what the API refuses; the forms are checked by the API's own schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, Visitor, form_of, require
from api.console.common import base, row_or_page, see_other, undo
from api.console.render import page
from api.deps import ADMINS, UnitOfWorkDep
from api.params import PathId
from domain.enums import Role
from models import User
from models.base import require_id
from services import users as user_service
from services.api_keys import IssuedKey
from services.errors import ServiceError
from services.organization import read_settings
from services.schemas.users import KeyCreate, UserCreate, UserUpdate
from services.unit_of_work import UnitOfWork

router = APIRouter()

ROLES = {
    Role.OWNER: "Owner",
    Role.ADMIN: "Admin",
    Role.AR_MANAGER: "AR manager",
    Role.AR_SPECIALIST: "AR specialist",
    Role.SUPPORT: "Support",
    Role.VIEWER: "Viewer",
}


def _errors_of(err: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        errors.setdefault(field, str(problem["msg"]).removeprefix("Value error, "))
    return errors


def _roles() -> dict[str, str]:
    return {role.value: label for role, label in ROLES.items()}


async def _list(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    users = await user_service.list_users(uow)
    org = await read_settings(uow)
    context = base(
        visitor,
        users=users,
        roles=_roles(),
        form=form or {"name": "", "email": "", "role": Role.VIEWER.value},
        errors=errors or {},
        zone=org.time_zone,
    )
    return page(request, "users.html", context, status_code=status_code)


async def _user_page(
    request: Request,
    uow: UnitOfWork,
    visitor: Visitor,
    user: User,
    *,
    issued: IssuedKey | None = None,
    issued_name: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    keys = await user_service.list_keys(uow, require_id(user))
    org = await read_settings(uow)
    context = base(
        visitor,
        person=user,
        keys=sorted(keys, key=lambda k: (k.revoked_at is not None, -k.id)),
        roles=_roles(),
        issued=issued,
        issued_name=issued_name,
        errors=errors or {},
        zone=org.time_zone,
    )
    response = page(request, "user.html", context, status_code=status_code)
    if issued is not None:  # the secret is in this page only: no cache keeps it
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/users", response_class=HTMLResponse)
async def users(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    require(visitor, ADMINS)
    return await _list(request, uow, visitor)


@router.post("/users", response_class=HTMLResponse)
async def create_user(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, ADMINS)
    form = await form_of(request)
    try:
        body = UserCreate.model_validate(
            {
                "name": form.get("name", ""),
                "email": form.get("email", "").strip(),
                "role": form.get("role", ""),
            }
        )
    except ValidationError as err:
        return await _list(request, uow, visitor, form=form, errors=_errors_of(err), status_code=422)
    try:
        user = await user_service.create_user(uow, body, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        field = (
            "email" if err.code == "duplicate_email" else "role" if err.code == "role_escalation" else "form"
        )
        return await _list(
            request, uow, visitor, form=form, errors={field: err.message}, status_code=err.status
        )
    await uow.session.flush()
    return see_other(f"/console/users/{user.id}?created=1")


@router.get("/users/{user_id}", response_class=HTMLResponse)
async def user_page(request: Request, user_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, ADMINS)
    found = await row_or_page(request, uow, visitor, User, user_id, "user")
    if isinstance(found, HTMLResponse):
        return found
    return await _user_page(request, uow, visitor, found)


async def _update(
    request: Request, uow: UnitOfWork, visitor: Visitor, user_id: int, change: dict[str, Any], field: str
) -> Response:
    require(visitor, ADMINS)
    found = await row_or_page(request, uow, visitor, User, user_id, "user")
    if isinstance(found, HTMLResponse):
        return found
    try:
        body = UserUpdate.model_validate(change)
        await user_service.update_user(uow, user_id, body, visitor.user)
    except ValidationError as err:
        return await _user_page(
            request, uow, visitor, found, errors={field: err.errors()[0]["msg"]}, status_code=422
        )
    except ServiceError as err:
        await undo(uow, visitor)
        await uow.session.refresh(found)
        return await _user_page(
            request, uow, visitor, found, errors={field: err.message}, status_code=err.status
        )
    await uow.session.flush()
    return see_other(f"/console/users/{user_id}?changed=1")


@router.post("/users/{user_id}/role", response_class=HTMLResponse)
async def change_role(request: Request, user_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    role = (await form_of(request)).get("role", "")
    return await _update(request, uow, visitor, user_id, {"role": role}, "role")


@router.post("/users/{user_id}/deactivate", response_class=HTMLResponse)
async def deactivate(request: Request, user_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _update(request, uow, visitor, user_id, {"active": False}, "active")


@router.post("/users/{user_id}/reactivate", response_class=HTMLResponse)
async def reactivate(request: Request, user_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _update(request, uow, visitor, user_id, {"active": True}, "active")


@router.post("/users/{user_id}/keys", response_class=HTMLResponse)
async def create_key(request: Request, user_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    """The new key's secret is shown on the page this form answers, once: only its hash is kept."""
    require(visitor, ADMINS)
    found = await row_or_page(request, uow, visitor, User, user_id, "user")
    if isinstance(found, HTMLResponse):
        return found
    name = (await form_of(request)).get("key_name", "").strip()
    try:
        body = KeyCreate.model_validate({"name": name} if name else {})
        key, issued = await user_service.create_key(uow, user_id, body.name, visitor.user)
    except ValidationError as err:
        return await _user_page(
            request, uow, visitor, found, errors={"key_name": err.errors()[0]["msg"]}, status_code=422
        )
    except ServiceError as err:
        await undo(uow, visitor)
        await uow.session.refresh(found)
        return await _user_page(
            request, uow, visitor, found, errors={"key_name": err.message}, status_code=err.status
        )
    await uow.session.flush()
    return await _user_page(request, uow, visitor, found, issued=issued, issued_name=key.name)


@router.post("/keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_key(request: Request, key_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, ADMINS)
    try:
        key = await user_service.revoke_key(uow, key_id, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        context = base(visitor, title="Key not revoked", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    await uow.session.flush()
    return see_other(f"/console/users/{key.user_id}?revoked=1")
