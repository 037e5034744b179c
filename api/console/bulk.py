"""Set workflow for many customers: the customers list's bulk action starts the bulk enrollment
job (`services.bulk`, the API's own), and the job's page follows it with a progress bar that htmx
refreshes until the job is finished, then lists each customer's outcome."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, require
from api.console.common import base, not_changed, see_other, undo
from api.console.pages import filters_of
from api.console.render import page
from api.deps import MANAGERS, UnitOfWorkDep
from services import bulk as bulk_service
from services import customers as customer_service
from services.errors import Invalid, ServiceError
from services.schemas.enrollments import MAX_BULK_CUSTOMERS, BulkEnrollIn, BulkProgressOut
from services.unit_of_work import UnitOfWork

router = APIRouter()

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
# How often the progress bar asks the job how far it is, while it runs.
POLL = "1s"


async def _fields(request: Request) -> dict[str, list[str]]:
    """The form with every value of each field (the ticked customers share one name)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


async def _chosen(uow: UnitOfWork, fields: dict[str, list[str]]) -> BulkEnrollIn:
    form = {k: v[0] for k, v in fields.items()}
    if form.get("scope") == "matching":
        ids = await filters_of(form).ids(uow, MAX_BULK_CUSTOMERS)
    else:
        ids = [int(v) for v in fields.get("customer", []) if v.isdigit()]
    if not ids:
        raise Invalid("Tick the customers to set the workflow for, or choose all those matching the filters.")
    try:
        return BulkEnrollIn(definition_id=int(form.get("definition_id", "0") or 0), customer_ids=ids)
    except (ValueError, ValidationError) as err:
        raise Invalid("Choose the workflow to set.") from err


@router.post("/customers/set-workflow", response_class=HTMLResponse)
async def set_workflow(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    require(visitor, MANAGERS)
    try:
        chosen = await _chosen(uow, await _fields(request))
        job = await bulk_service.start_bulk(uow, chosen, visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return not_changed(request, visitor, err.message, err.status)
    return see_other(f"/console/bulk/{job.job_id}")


async def _progress(uow: UnitOfWork, job_id: str) -> tuple[BulkProgressOut, dict[int, str]]:
    state = await bulk_service.progress(uow, job_id, with_outcomes=True)
    return state, await customer_service.names_of(uow, [o.customer_id for o in state.outcomes])


@router.get("/bulk/{job_id}", response_class=HTMLResponse)
async def job_page(request: Request, job_id: JobId, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    try:
        state, names = await _progress(uow, job_id)
    except ServiceError as err:
        context = base(visitor, title="Bulk job not found", message=err.message)
        return page(request, "error.html", context, status_code=err.status)
    return page(request, "bulk.html", base(visitor, job=state, names=names, poll=POLL))


@router.get("/bulk/{job_id}/progress", response_class=HTMLResponse)
async def job_progress(
    request: Request, job_id: JobId, uow: UnitOfWorkDep, visitor: SignedIn
) -> HTMLResponse:
    """The progress block alone, for htmx; it stops asking once the job is finished."""
    try:
        state, names = await _progress(uow, job_id)
    except ServiceError as err:
        return not_changed(request, visitor, err.message, err.status)
    return page(request, "_bulk_progress.html", base(visitor, job=state, names=names, poll=POLL))
