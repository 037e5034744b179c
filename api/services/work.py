"""Tasks for AR specialists and the deliveries arcadence made."""

from __future__ import annotations

from sqlmodel import col, select

from api.deps import UnitOfWork
from api.errors import Conflict, Forbidden
from api.services.common import get_or_404, now
from domain.enums import Role
from models import Delivery, Task, User


async def list_tasks(
    uow: UnitOfWork, assignee_id: int | None, status: str | None, limit: int, offset: int
) -> list[Task]:
    query = select(Task)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    if status is not None:
        query = query.where(Task.status == status)
    query = query.order_by(col(Task.due_date), col(Task.id)).limit(limit).offset(offset)
    return list((await uow.session.exec(query)).all())


async def complete_task(uow: UnitOfWork, task_id: int, actor: User) -> Task:
    task = await get_or_404(uow.session, Task, task_id, "task")
    if actor.role == Role.AR_SPECIALIST and task.assignee_id not in (None, actor.id):
        raise Forbidden("this task is assigned to someone else")
    if task.status != "open":
        raise Conflict(f"task {task_id} is {task.status}", code="task_closed")
    task.status, task.completed_at, task.completed_by = "done", now(), actor.email
    uow.session.add(task)
    return task


async def list_deliveries(
    uow: UnitOfWork, customer_id: int | None, status: str | None, limit: int, offset: int
) -> list[Delivery]:
    query = select(Delivery)
    if customer_id is not None:
        query = query.where(Delivery.customer_id == customer_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(col(Delivery.id).desc()).limit(limit).offset(offset)
    return list((await uow.session.exec(query)).all())
