"""Tasks for AR specialists and deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Reader, TaskWorker, UnitOfWorkDep
from api.schemas.enrollments import DeliveryOut, TaskOut
from api.services import work as service
from domain.enums import DeliveryStatus, TaskStatus

router = APIRouter(tags=["work"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/tasks", summary="Tasks, by assignee and status")
async def list_tasks(
    uow: UnitOfWorkDep,
    user: Reader,
    assignee_id: Annotated[int | None, Query(ge=1)] = None,
    status: TaskStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[TaskOut]:
    rows = await service.list_tasks(uow, assignee_id, status.value if status else None, limit, offset)
    return [TaskOut.model_validate(t) for t in rows]


@router.post("/tasks/{task_id}/complete", summary="Complete a task")
async def complete_task(task_id: int, uow: UnitOfWorkDep, user: TaskWorker) -> TaskOut:
    return TaskOut.model_validate(await service.complete_task(uow, task_id, user))


@router.get("/deliveries", summary="Deliveries, by customer and status")
async def list_deliveries(
    uow: UnitOfWorkDep,
    user: Reader,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DeliveryOut]:
    rows = await service.list_deliveries(uow, customer_id, status.value if status else None, limit, offset)
    return [DeliveryOut.model_validate(d) for d in rows]
