"""Enrollments: status (Postgres joined with the workflow), timeline, reassign, continue-with, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Manager, Reader, Supporter, UnitOfWorkDep
from api.schemas.enrollments import CancelIn, DefinitionRef, EnrollmentOut, EnrollmentStatusOut, TimelineOut
from api.services import enrollments as service

router = APIRouter(prefix="/enrollments", tags=["enrollments"])


@router.get("/{enrollment_id}", summary="Status: the row, and what the workflow is doing now")
async def read_status(enrollment_id: int, uow: UnitOfWorkDep, user: Reader) -> EnrollmentStatusOut:
    return await service.status(uow, enrollment_id)


@router.get(
    "/{enrollment_id}/timeline", summary="The next occurrences: when, what, to whom, conditions today"
)
async def timeline(
    enrollment_id: int, uow: UnitOfWorkDep, user: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 10
) -> TimelineOut:
    return await service.upcoming(uow, enrollment_id, limit)


@router.post("/{enrollment_id}/reassign", summary="Switch to another workflow now, anchored today")
async def reassign(
    enrollment_id: int, request: DefinitionRef, uow: UnitOfWorkDep, user: Supporter
) -> EnrollmentOut:
    return EnrollmentOut.model_validate(
        await service.reassign(uow, enrollment_id, request.definition_id, user)
    )


@router.post("/{enrollment_id}/continue-with", summary="Continue with another workflow when this one ends")
async def continue_with(
    enrollment_id: int, request: DefinitionRef, uow: UnitOfWorkDep, user: Manager
) -> EnrollmentOut:
    return EnrollmentOut.model_validate(
        await service.continue_with(uow, enrollment_id, request.definition_id, user)
    )


@router.post("/{enrollment_id}/cancel", summary="End an enrollment")
async def cancel(enrollment_id: int, request: CancelIn, uow: UnitOfWorkDep, user: Manager) -> EnrollmentOut:
    return EnrollmentOut.model_validate(await service.cancel(uow, enrollment_id, request.reason, user))
