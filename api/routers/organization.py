"""Organization settings: zone, send time, business days, sender, default workflows."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Admin, Reader, UnitOfWorkDep
from services import organization as service
from services.schemas.organization import SettingsOut, SettingsUpdate

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("", summary="Read the organization settings")
async def read_settings(uow: UnitOfWorkDep, user: Reader) -> SettingsOut:
    return SettingsOut.model_validate(await service.read_settings(uow))


@router.put("", summary="Change the organization settings")
async def update_settings(change: SettingsUpdate, uow: UnitOfWorkDep, user: Admin) -> SettingsOut:
    return SettingsOut.model_validate(await service.update_settings(uow, change, user))
