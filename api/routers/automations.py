"""Automations: create, edit (versioned), switch on and off, attach to workflows."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Manager, Reader, UnitOfWorkDep
from api.params import PathId
from models import Automation
from services import automations as service
from services.common import get_or_404
from services.schemas.automations import AttachIn, AutomationIn, AutomationOut, AutomationVersionOut

router = APIRouter(tags=["automations"])


@router.post("/automations", status_code=status.HTTP_201_CREATED, summary="Create an automation")
async def create_automation(request: AutomationIn, uow: UnitOfWorkDep, user: Manager) -> AutomationOut:
    return service.automation_out(await service.create_automation(uow, request, user))


@router.get("/automations", summary="List automations")
async def list_automations(uow: UnitOfWorkDep, user: Reader) -> list[AutomationOut]:
    return [service.automation_out(a) for a in await service.list_automations(uow)]


@router.get("/automations/{automation_id}", summary="Read an automation")
async def read_automation(automation_id: PathId, uow: UnitOfWorkDep, user: Reader) -> AutomationOut:
    return service.automation_out(await get_or_404(uow.session, Automation, automation_id, "automation"))


@router.put("/automations/{automation_id}", summary="Edit an automation (a new version)")
async def update_automation(
    automation_id: PathId, request: AutomationIn, uow: UnitOfWorkDep, user: Manager
) -> AutomationOut:
    return service.automation_out(await service.update_automation(uow, automation_id, request, user))


@router.post("/automations/{automation_id}/enable", summary="Switch an automation on")
async def enable(automation_id: PathId, uow: UnitOfWorkDep, user: Manager) -> AutomationOut:
    return service.automation_out(await service.set_enabled(uow, automation_id, True, user))


@router.post("/automations/{automation_id}/disable", summary="Switch an automation off")
async def disable(automation_id: PathId, uow: UnitOfWorkDep, user: Manager) -> AutomationOut:
    return service.automation_out(await service.set_enabled(uow, automation_id, False, user))


@router.get("/automations/{automation_id}/versions", summary="Every saved version of an automation")
async def list_versions(
    automation_id: PathId, uow: UnitOfWorkDep, user: Reader
) -> list[AutomationVersionOut]:
    return [AutomationVersionOut.model_validate(v) for v in await service.versions(uow, automation_id)]


@router.get("/workflows/{definition_id}/automations", summary="The automations attached to a workflow")
async def attached(definition_id: PathId, uow: UnitOfWorkDep, user: Reader) -> list[AutomationOut]:
    return [service.automation_out(a) for a in await service.attached_to(uow, definition_id)]


@router.post(
    "/workflows/{definition_id}/automations",
    summary="Attach an automation to a workflow (at most 100 per workflow)",
)
async def attach(
    definition_id: PathId, request: AttachIn, uow: UnitOfWorkDep, user: Manager
) -> list[AutomationOut]:
    rows = await service.attach(uow, definition_id, request.automation_id, user)
    return [service.automation_out(a) for a in rows]


@router.delete("/workflows/{definition_id}/automations/{automation_id}", summary="Detach an automation")
async def detach(
    definition_id: PathId, automation_id: PathId, uow: UnitOfWorkDep, user: Manager
) -> list[AutomationOut]:
    return [service.automation_out(a) for a in await service.detach(uow, definition_id, automation_id)]
