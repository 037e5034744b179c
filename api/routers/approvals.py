"""Approval gates: what waits for a person, and their decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from api.deps import Reader, UnitOfWorkDep, require
from api.params import Limit, Offset, PathId, QueryId
from domain.enums import ApprovalDecision, ApprovalState
from domain.roles import APPROVER_ROLES
from models import User
from services import approvals as service
from services.schemas.approvals import ApprovalOut, DecisionIn, DecisionOut, EditIn
from services.schemas.common import Page

router = APIRouter(tags=["approvals"])

# Past the gate: any role that an approval may ask for; the service checks the approval's own.
Approver = Annotated[User, Depends(require(APPROVER_ROLES))]
# Approve and reject take an optional body (a note).
OptionalDecision = Annotated[DecisionIn, Body(default_factory=DecisionIn)]


@router.get("/approvals", summary="Approvals, by state and customer (the longest waiting first)")
async def list_approvals(
    uow: UnitOfWorkDep,
    user: Reader,
    state: ApprovalState | None = None,
    customer_id: QueryId | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ApprovalOut]:
    rows, total = await service.list_approvals(uow, state, customer_id, limit, offset)
    return Page[ApprovalOut].of(rows, total, limit, offset)


@router.get("/approvals/{approval_id}", summary="One approval: the message that waits, for whom, until when")
async def read_approval(approval_id: PathId, uow: UnitOfWorkDep, user: Reader) -> ApprovalOut:
    return await service.read_approval(uow, approval_id)


@router.post("/approvals/{approval_id}/approve", summary="Approve: the message is sent as rendered")
async def approve(
    approval_id: PathId, uow: UnitOfWorkDep, user: Approver, body: OptionalDecision
) -> DecisionOut:
    return await service.decide(uow, approval_id, user, ApprovalDecision.APPROVE, body)


@router.post("/approvals/{approval_id}/reject", summary="Reject: the message is never sent")
async def reject(
    approval_id: PathId, uow: UnitOfWorkDep, user: Approver, body: OptionalDecision
) -> DecisionOut:
    return await service.decide(uow, approval_id, user, ApprovalDecision.REJECT, body)


@router.post(
    "/approvals/{approval_id}/edit", summary="Edit and approve: the message is sent with the new text"
)
async def edit(approval_id: PathId, body: EditIn, uow: UnitOfWorkDep, user: Approver) -> DecisionOut:
    return await service.decide(uow, approval_id, user, ApprovalDecision.EDIT, body)
