"""Tasks for AR specialists and the deliveries arcadence made."""

from __future__ import annotations

from sqlmodel import col, select

from domain.enums import DeliveryStatus, Role, TaskStatus
from models import Delivery, Task, User
from models.history import write_history
from services.common import get_or_404, now, paged
from services.errors import Conflict, Forbidden
from services.unit_of_work import UnitOfWork


async def list_tasks(
    uow: UnitOfWork,
    assignee_id: int | None,
    customer_id: int | None,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Task], int]:
    """Soonest due first."""
    query = select(Task)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    if customer_id is not None:
        query = query.where(Task.customer_id == customer_id)
    if status is not None:
        query = query.where(Task.status == status.value)
    query = query.order_by(col(Task.due_date).asc().nulls_last(), col(Task.id))
    return await paged(uow.session, query, limit, offset)


async def complete_task(uow: UnitOfWork, task_id: int, actor: User) -> Task:
    """A specialist completes their own tasks (or unassigned ones); managers complete any."""
    task = await get_or_404(uow.session, Task, task_id, "task")
    if actor.role == Role.AR_SPECIALIST and task.assignee_id not in (None, actor.id):
        raise Forbidden("this task is assigned to someone else")
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is {task.status}", code="task_closed")
    task.status, task.completed_at, task.completed_by = TaskStatus.DONE.value, now(), actor.email
    uow.session.add(task)
    await write_history(
        uow.session,
        customer_id=task.customer_id,
        invoice_id=task.invoice_id,
        action="task_completed",
        description=f"Task '{task.title}' completed by {actor.email}",
        actor=actor.email,
        occurred_at=now(),
        details={"task_id": task.id},
    )
    return task


async def list_deliveries(
    uow: UnitOfWork,
    customer_id: int | None,
    enrollment_id: int | None,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """Newest first."""
    query = select(Delivery)
    if customer_id is not None:
        query = query.where(Delivery.customer_id == customer_id)
    if enrollment_id is not None:
        query = query.where(Delivery.enrollment_id == enrollment_id)
    if status is not None:
        query = query.where(Delivery.status == status.value)
    return await paged(uow.session, query.order_by(col(Delivery.id).desc()), limit, offset)
