"""The Tasks page: a specialist's open tasks ("my open tasks"), every open task for managers,
and closing one through the service the API's `POST /tasks/{id}/complete` calls (same roles,
same rule: a specialist closes their own or unassigned tasks, a manager any)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.auth import SignedIn, Visitor, require
from api.console.common import base, not_changed, see_other, undo
from api.console.render import page
from api.deps import MANAGERS, TASK_WORKERS, UnitOfWorkDep
from api.params import PathId
from domain.enums import TaskStatus
from models import Customer, Task, User
from models.base import require_id
from services import work as work_service
from services.errors import ServiceError
from services.organization import read_settings
from services.unit_of_work import UnitOfWork

router = APIRouter()
TASKS_PER_PAGE = 50


async def _names(uow: UnitOfWork, tasks: Iterable[Task]) -> dict[str, dict[int, str]]:
    """The customers' and assignees' names the rows show (by primary key: the session's map)."""
    customers: dict[int, str] = {}
    users: dict[int, str] = {}
    for task in tasks:
        if task.customer_id not in customers:
            customer = await uow.session.get(Customer, task.customer_id)
            customers[task.customer_id] = customer.name if customer else f"#{task.customer_id}"
        if task.assignee_id is not None and task.assignee_id not in users:
            user = await uow.session.get(User, task.assignee_id)
            users[task.assignee_id] = user.name if user else f"#{task.assignee_id}"
    return {"customer_names": customers, "user_names": users}


async def _row_context(uow: UnitOfWork, visitor: Visitor, task: Task, **extra: Any) -> dict[str, Any]:
    org = await read_settings(uow)
    return base(visitor, task=task, zone=org.time_zone, **(await _names(uow, [task])), **extra)


@router.get("/tasks", response_class=HTMLResponse)
async def tasks(
    request: Request,
    uow: UnitOfWorkDep,
    visitor: SignedIn,
    page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
) -> HTMLResponse:
    mine, mine_total = await work_service.list_tasks(
        uow, require_id(visitor.user), None, TaskStatus.OPEN, TASKS_PER_PAGE, 0
    )
    everyone: list[Task] = []
    everyone_total = 0
    pages = 1
    if visitor.may(MANAGERS):
        offset = (page_number - 1) * TASKS_PER_PAGE
        everyone, everyone_total = await work_service.list_tasks(
            uow, None, None, TaskStatus.OPEN, TASKS_PER_PAGE, offset
        )
        pages = max(1, -(-everyone_total // TASKS_PER_PAGE))
    org = await read_settings(uow)
    context = base(
        visitor,
        mine=mine,
        mine_total=mine_total,
        everyone=everyone,
        everyone_total=everyone_total,
        page=page_number,
        pages=pages,
        zone=org.time_zone,
        **(await _names(uow, [*mine, *everyone])),
    )
    return page(request, "tasks.html", context)


@router.post("/tasks/{task_id}/complete", response_class=HTMLResponse)
async def complete_task(request: Request, task_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    """Close a task; htmx swaps its row (closed, or with the refusal in it), a form goes back."""
    require(visitor, TASK_WORKERS)
    try:
        task = await work_service.complete_task(uow, task_id, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        unchanged = await uow.session.get(Task, task_id)
        if unchanged is None or not request.headers.get("hx-request"):
            return not_changed(request, visitor, err.message, err.status)
        context = await _row_context(uow, visitor, unchanged, error=err.message)
        return page(request, "_task_row.html", context, status_code=err.status)
    if not request.headers.get("hx-request"):
        return see_other("/console/tasks")
    return page(request, "_task_row.html", await _row_context(uow, visitor, task))
