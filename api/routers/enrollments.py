"""Enrollments: status (Postgres joined with the workflow), timeline, reassign, continue-with, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import Manager, Reader, Supporter, UnitOfWorkDep
from api.params import PathId
from services import bulk
from services import enrollments as service
from services import timeline as timeline_service
from services.schemas.enrollments import (
    BulkEnrollIn,
    BulkJobOut,
    BulkProgressOut,
    CancelIn,
    DefinitionRef,
    EnrollmentOut,
    EnrollmentStatusOut,
    TimelineOut,
)

router = APIRouter(prefix="/enrollments", tags=["enrollments"])


@router.post(
    "/bulk",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Enroll up to 10,000 customers (a job: follow it with GET /enrollments/bulk/{job_id})",
)
async def bulk_enroll(request: BulkEnrollIn, uow: UnitOfWorkDep, user: Manager) -> BulkJobOut:
    return await bulk.start_bulk(uow, request, user)


@router.get("/bulk/{job_id}", summary="Progress of a bulk enrollment, with each customer's outcome")
async def bulk_progress(
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")],
    uow: UnitOfWorkDep,
    user: Reader,
    outcomes: bool = False,
) -> BulkProgressOut:
    return await bulk.progress(uow, job_id, outcomes)


@router.get("/{enrollment_id}", summary="Status: the row, and what the workflow is doing now")
async def read_status(enrollment_id: PathId, uow: UnitOfWorkDep, user: Reader) -> EnrollmentStatusOut:
    return await service.status(uow, enrollment_id)


@router.get(
    "/{enrollment_id}/timeline",
    summary="The next occurrences: when, what, to whom, and whether the conditions hold today",
)
async def timeline(
    enrollment_id: PathId, uow: UnitOfWorkDep, user: Reader, limit: Annotated[int, Query(ge=1, le=200)] = 10
) -> TimelineOut:
    return await timeline_service.upcoming(uow, enrollment_id, limit)


@router.post("/{enrollment_id}/reassign", summary="Switch to another workflow now, anchored today")
async def reassign(
    enrollment_id: PathId, request: DefinitionRef, uow: UnitOfWorkDep, user: Supporter
) -> EnrollmentOut:
    return EnrollmentOut.model_validate(
        await service.reassign(uow, enrollment_id, request.definition_id, user)
    )


@router.post("/{enrollment_id}/continue-with", summary="Continue with another workflow when this one ends")
async def continue_with(
    enrollment_id: PathId, request: DefinitionRef, uow: UnitOfWorkDep, user: Manager
) -> EnrollmentOut:
    return EnrollmentOut.model_validate(
        await service.continue_with(uow, enrollment_id, request.definition_id, user)
    )


@router.post("/{enrollment_id}/cancel", summary="End an enrollment")
async def cancel(
    enrollment_id: PathId, request: CancelIn, uow: UnitOfWorkDep, user: Manager
) -> EnrollmentOut:
    return EnrollmentOut.model_validate(await service.cancel(uow, enrollment_id, request.reason, user))
