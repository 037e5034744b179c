"""The Workflows page: every workflow with its ON/OFF switch. The switch calls the service the
API's enable / disable routes call (`services.definitions.set_enabled`), for the same roles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console.auth import SignedIn, require
from api.console.common import base, not_changed, see_other, undo
from api.console.render import page
from api.deps import MANAGERS, UnitOfWorkDep
from api.params import PathId
from services import definitions as definition_service
from services.errors import ServiceError
from services.organization import read_settings

router = APIRouter()
SWITCHES = {"enable": True, "disable": False}


@router.get("/workflows", response_class=HTMLResponse)
async def workflows(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    rows = await definition_service.list_definitions(uow)
    org = await read_settings(uow)
    return page(request, "workflows.html", base(visitor, rows=rows, zone=org.time_zone))


@router.post("/workflows/{definition_id}/{switch}", response_class=HTMLResponse)
async def switch_workflow(
    request: Request, definition_id: PathId, switch: str, uow: UnitOfWorkDep, visitor: SignedIn
) -> Response:
    """Switch a workflow ON or OFF; htmx swaps its row, a plain form goes back to the list."""
    if switch not in SWITCHES:
        context = base(visitor, title="Not found", message="No such page.")
        return page(request, "error.html", context, status_code=404)
    require(visitor, MANAGERS)
    try:
        definition = await definition_service.set_enabled(uow, definition_id, SWITCHES[switch], visitor.user)
    except ServiceError as err:
        await undo(uow, visitor)
        return not_changed(request, visitor, err.message, err.status)
    if not request.headers.get("hx-request"):
        return see_other("/console/workflows")
    org = await read_settings(uow)
    return page(request, "_workflow_row.html", base(visitor, workflow=definition, zone=org.time_zone))
