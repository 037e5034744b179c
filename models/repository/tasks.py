"""Tasks for people: created once per key, pages of them, and the open one with a given key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.enums import TaskStatus
from models import Task
from models.repository.paging import narrowed, paged


async def create_task_once(
    session: AsyncSession,
    *,
    key: str,
    customer_id: int | None,
    invoice_id: int | None,
    assignee_id: int | None,
    title: str,
    description: str,
    due_date: date,
    status: TaskStatus | None = None,
    created_at: datetime | None = None,
) -> None:
    """A task, unless one with this idempotency key exists (a retry, a replayed event)."""
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "invoice_id": invoice_id,
        "assignee_id": assignee_id,
        "idempotency_key": key,
        "title": title[:300],
        "description": description,
        "due_date": due_date,
    }
    # Left out when not given, so the table's own defaults apply.
    if status is not None:
        values["status"] = status
    if created_at is not None:
        values["created_at"] = created_at
    statement = insert(Task).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    await (await session.connection()).execute(statement)


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
