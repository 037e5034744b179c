"""Tasks for AR specialists, and deliveries."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Reader, TaskWorker, UnitOfWorkDep
from api.params import Limit, Offset, PathId, QueryId
from domain.enums import DeliveryStatus, TaskStatus
from services import work as service
from services.schemas.common import Page
from services.schemas.work import DeliveryDetailOut, DeliveryOut, TaskOut

router = APIRouter(tags=["work"])


@router.get("/tasks", summary="Tasks, by assignee, customer and status (soonest due first)")
async def list_tasks(
    uow: UnitOfWorkDep,
    user: Reader,
    assignee_id: QueryId | None = None,
    customer_id: QueryId | None = None,
    status: TaskStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TaskOut]:
    rows, total = await service.list_tasks(uow, assignee_id, customer_id, status, limit, offset)
    return Page[TaskOut].of(rows, total, limit, offset)


@router.post("/tasks/{task_id}/complete", summary="Complete a task")
async def complete_task(task_id: PathId, uow: UnitOfWorkDep, user: TaskWorker) -> TaskOut:
    return TaskOut.model_validate(await service.complete_task(uow, task_id, user))


@router.get("/deliveries", summary="Deliveries, by customer, enrollment and status (newest first)")
async def list_deliveries(
    uow: UnitOfWorkDep,
    user: Reader,
    customer_id: QueryId | None = None,
    enrollment_id: QueryId | None = None,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    rows, total = await service.list_deliveries(uow, customer_id, enrollment_id, status, limit, offset)
    return Page[DeliveryOut].of(rows, total, limit, offset)


@router.get(
    "/deliveries/{delivery_id}",
    summary="One delivery: exactly what was sent, to whom, by which provider, and its status history",
)
async def read_delivery(delivery_id: PathId, uow: UnitOfWorkDep, user: Reader) -> DeliveryDetailOut:
    return await service.read_delivery(uow, delivery_id)
