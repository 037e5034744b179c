"""Approval gates: the queue, one approval, and a person's decision, which the approval's own
enrollment workflow performs (its `decide_approval` update) and answers."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from domain.enums import ApprovalDecision, ApprovalState, Role
from domain.roles import approvers_for, may_approve
from models import Approval, Enrollment, User
from models.repository import NotFound as RowMissing
from models.repository import customers_by_id
from models.repository.approvals import approvals_page, load_approval
from services.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from services.schemas.approvals import ApprovalOut, DecisionIn, DecisionOut, EditIn
from services.unit_of_work import UnitOfWork
from workflows.approval_types import INVALID_DECISION, DecideApproval
from workflows.enrollment import EnrollmentWorkflow


async def list_approvals(
    uow: UnitOfWork, state: ApprovalState | None, customer_id: int | None, limit: int, offset: int
) -> tuple[list[ApprovalOut], int]:
    """Oldest request first: what has waited longest heads the queue."""
    rows, total = await approvals_page(
        uow.session, state=state.value if state else None, customer_id=customer_id, limit=limit, offset=offset
    )
    return await _out(uow, rows), total


async def read_approval(uow: UnitOfWork, approval_id: int) -> ApprovalOut:
    return (await _out(uow, [await _load(uow, approval_id)]))[0]


async def decide(
    uow: UnitOfWork,
    approval_id: int,
    actor: User,
    decision: ApprovalDecision,
    body: DecisionIn | EditIn | None = None,
) -> DecisionOut:
    """Checks the caller's role against the gate's, then asks the waiting workflow to perform
    the decision and answers with what it did. Only rows are read here (no lock is held while
    the workflow writes the decision)."""
    approval = await _load(uow, approval_id)
    if not may_approve(Role(actor.role), Role(approval.role)):
        raise Forbidden(
            f"Role '{actor.role}' may not approve what waits for {approval.role}",
            code="not_allowed_to_approve",
            details={"allowed": sorted(r.value for r in approvers_for(Role(approval.role)))},
        )
    if approval.state != ApprovalState.PENDING:
        raise _not_pending(approval, f"approval {approval_id} is already {approval.state}")
    enrollment = await uow.session.get(Enrollment, approval.enrollment_id) if approval.enrollment_id else None
    if enrollment is None:
        raise _not_pending(approval, f"approval {approval_id} has no enrollment waiting for it")
    edit = body if isinstance(body, EditIn) else None
    request = DecideApproval(
        approval_id=approval_id,
        decision=decision,
        actor=actor.email,
        subject=edit.subject if edit else None,
        text_body=edit.text if edit else None,
        html_body=edit.html if edit else None,
        note=body.note if body is not None else "",
    )
    handle = uow.state.temporal.get_workflow_handle(enrollment.workflow_id)
    try:
        outcome = await handle.execute_update(EnrollmentWorkflow.decide_approval, request)
    except WorkflowUpdateFailedError as err:
        kind = getattr(err.cause, "type", None)
        message = str(getattr(err.cause, "message", None) or err)
        if kind == INVALID_DECISION:
            raise Invalid(message, code="invalid_decision") from err
        raise _not_pending(approval, message) from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise Unavailable("The workflow did not answer in time; retry", code="temporal_unavailable") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise _not_pending(approval, "its enrollment's workflow is no longer running") from err
        raise Unavailable("Temporal could not be reached; retry", code="temporal_unavailable") from err
    await uow.session.refresh(approval)
    if outcome.state != _state_of(decision):
        raise _not_pending(approval, f"approval {approval_id} ended {outcome.state} first: {outcome.summary}")
    return DecisionOut(
        approval=(await _out(uow, [approval]))[0],
        will_send=outcome.will_send,
        held_for_pause=outcome.held_for_pause,
        summary=outcome.summary,
    )


def _state_of(decision: ApprovalDecision) -> ApprovalState:
    return {
        ApprovalDecision.APPROVE: ApprovalState.APPROVED,
        ApprovalDecision.EDIT: ApprovalState.EDITED,
        ApprovalDecision.REJECT: ApprovalState.REJECTED,
    }[decision]


def _not_pending(approval: Approval, message: str) -> Conflict:
    return Conflict(
        message, code="approval_not_pending", details={"id": approval.id, "state": approval.state}
    )


async def _load(uow: UnitOfWork, approval_id: int) -> Approval:
    try:
        return await load_approval(uow.session, approval_id)
    except RowMissing:
        raise NotFound(f"approval {approval_id} does not exist", details={"id": approval_id}) from None


async def _out(uow: UnitOfWork, rows: list[Approval]) -> list[ApprovalOut]:
    names = await customers_by_id(uow.session, sorted({r.customer_id for r in rows}))
    out = []
    for row in rows:
        item = ApprovalOut.model_validate(row)
        customer = names.get(row.customer_id)
        item.customer_name = customer.name if customer else ""
        out.append(item)
    return out
