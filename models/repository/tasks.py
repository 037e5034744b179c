"""Tasks for people: pages of them, and the open one with a given key."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import TaskStatus
from models import Task
from models.repository.paging import narrowed, paged


async def open_task_by_key(session: AsyncSession, key: str) -> Task | None:
    query = select(Task).where(Task.idempotency_key == key, Task.status == TaskStatus.OPEN)
    return (await session.exec(query)).first()


async def tasks_page(
    session: AsyncSession,
    assignee_id: int | None,
    customer_id: int | None,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Task], int]:
    """Soonest due first (undated last), optionally of one assignee, customer or status."""
    query = narrowed(
        select(Task),
        {
            Task.assignee_id: assignee_id,
            Task.customer_id: customer_id,
            Task.status: status.value if status is not None else None,
        },
    )
    query = query.order_by(col(Task.due_date).asc().nulls_last(), col(Task.id))
    return await paged(session, query, limit, offset)
