"""The Approvals page: the messages that wait for a person (the longest waiting first), with
approve, reject and edit-and-approve forms that call the service the API's
`POST /approvals/{id}/...` calls (same role rule: the gate's role or above)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.auth import SignedIn, form_of, require
from api.console.common import base, not_changed, see_other, undo
from api.console.render import page
from api.deps import UnitOfWorkDep
from api.params import PathId
from domain.enums import ApprovalDecision, ApprovalState, Role
from domain.roles import APPROVER_ROLES, may_approve
from services import approvals as service
from services.errors import Invalid, ServiceError
from services.organization import read_settings
from services.schemas.approvals import DecisionIn, EditIn

router = APIRouter()
SHOWN = 100


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(request: Request, uow: UnitOfWorkDep, visitor: SignedIn) -> HTMLResponse:
    waiting, total = await service.list_approvals(uow, ApprovalState.PENDING, None, SHOWN, 0)
    role = Role(visitor.user.role)
    org = await read_settings(uow)
    context = base(
        visitor,
        waiting=waiting,
        total=total,
        decidable={a.id for a in waiting if may_approve(role, Role(a.role))},
        zone=org.time_zone,
    )
    return page(request, "approvals.html", context)


async def _decide(
    request: Request, uow: UnitOfWorkDep, visitor: SignedIn, approval_id: int, decision: ApprovalDecision
) -> Response:
    require(visitor, APPROVER_ROLES)
    form = await form_of(request)
    try:
        try:
            if decision == ApprovalDecision.EDIT:
                body: DecisionIn | EditIn = EditIn.model_validate(
                    {
                        "subject": form.get("subject", "").strip() or None,
                        "text": form.get("text", "").strip() or None,
                        "note": form.get("note", ""),
                    }
                )
            else:
                body = DecisionIn.model_validate({"note": form.get("note", "")})
        except ValidationError as err:
            raise Invalid("; ".join(str(e["msg"]) for e in err.errors())) from err
        await service.decide(uow, approval_id, visitor.user, decision, body)
    except ServiceError as err:
        await undo(uow, visitor)
        return not_changed(request, visitor, err.message, err.status)
    return see_other("/console/approvals")


@router.post("/approvals/{approval_id}/approve")
async def approve(request: Request, approval_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _decide(request, uow, visitor, approval_id, ApprovalDecision.APPROVE)


@router.post("/approvals/{approval_id}/reject")
async def reject(request: Request, approval_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _decide(request, uow, visitor, approval_id, ApprovalDecision.REJECT)


@router.post("/approvals/{approval_id}/edit")
async def edit(request: Request, approval_id: PathId, uow: UnitOfWorkDep, visitor: SignedIn) -> Response:
    return await _decide(request, uow, visitor, approval_id, ApprovalDecision.EDIT)
