"""Workflow definitions: steps, conditions, recipients, continue-with, versions."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Manager, Reader, UnitOfWorkDep
from api.params import PathId
from models import WorkflowDefinition
from services import definitions as service
from services.common import get_or_404
from services.schemas.definitions import CloneIn, DefinitionIn, DefinitionOut, VersionOut

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a collections workflow")
async def create_definition(request: DefinitionIn, uow: UnitOfWorkDep, user: Manager) -> DefinitionOut:
    return await service.definition_out(uow, await service.create_definition(uow, request, user))


@router.get("", summary="List workflows")
async def list_definitions(uow: UnitOfWorkDep, user: Reader) -> list[DefinitionOut]:
    return [await service.definition_out(uow, d) for d in await service.list_definitions(uow)]


@router.get("/{definition_id}", summary="Read a workflow with its steps")
async def read_definition(definition_id: PathId, uow: UnitOfWorkDep, user: Reader) -> DefinitionOut:
    definition = await get_or_404(uow.session, WorkflowDefinition, definition_id, "workflow definition")
    return await service.definition_out(uow, definition)


@router.put("/{definition_id}", summary="Edit a workflow (a new version; running enrollments re-plan)")
async def update_definition(
    definition_id: PathId, request: DefinitionIn, uow: UnitOfWorkDep, user: Manager
) -> DefinitionOut:
    definition = await service.update_definition(uow, definition_id, request, user)
    return await service.definition_out(uow, definition)


@router.post("/{definition_id}/clone", status_code=status.HTTP_201_CREATED, summary="Copy a workflow")
async def clone_definition(
    definition_id: PathId, request: CloneIn, uow: UnitOfWorkDep, user: Manager
) -> DefinitionOut:
    return await service.definition_out(uow, await service.clone(uow, definition_id, request.name, user))


@router.post("/{definition_id}/enable", summary="Accept new enrollments")
async def enable(definition_id: PathId, uow: UnitOfWorkDep, user: Manager) -> DefinitionOut:
    return await service.definition_out(uow, await service.set_enabled(uow, definition_id, True, user))


@router.post("/{definition_id}/disable", summary="Refuse new enrollments (running ones go on)")
async def disable(definition_id: PathId, uow: UnitOfWorkDep, user: Manager) -> DefinitionOut:
    return await service.definition_out(uow, await service.set_enabled(uow, definition_id, False, user))


@router.get("/{definition_id}/versions", summary="Every saved version of a workflow")
async def list_versions(definition_id: PathId, uow: UnitOfWorkDep, user: Reader) -> list[VersionOut]:
    return [VersionOut.model_validate(v) for v in await service.versions(uow, definition_id)]


@router.post(
    "/{definition_id}/versions/{version}/restore",
    summary="Make a saved version current again (itself a new version; running enrollments re-plan)",
)
async def restore_version(
    definition_id: PathId, version: PathId, uow: UnitOfWorkDep, user: Manager
) -> DefinitionOut:
    definition = await service.restore_version(uow, definition_id, version, user)
    return await service.definition_out(uow, definition)
