"""An approval gate inside the enrollment workflow: ask, wait for a person's decision (the
`decide_approval` update), the deadline or the end of the enrollment, then settle; a decided
send waits for a pause to end. The workflow holds one `ApprovalGate`; its update handler and
validator are the gate's `decide` and `validate`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import policies

with workflow.unsafe.imports_passed_through():
    from activities.approval_contracts import (
        ApprovalRef,
        RequestApprovalInput,
        SettleApprovalInput,
        SettleApprovalResult,
    )
    from activities.approvals import ApprovalActivities
    from activities.contracts import OccurrenceRef, PrepareResult
    from domain.enums import ApprovalDecision, ApprovalState
    from workflows.approval_types import INVALID_DECISION, NOT_PENDING, ApprovalOutcome, DecideApproval
    from workflows.enrollment_types import PauseState

ENGINE = "arcadence"
DECIDED = {
    ApprovalDecision.APPROVE: ApprovalState.APPROVED,
    ApprovalDecision.EDIT: ApprovalState.EDITED,
    ApprovalDecision.REJECT: ApprovalState.REJECTED,
}


class ApprovalGate:
    """`stop` says the enrollment is being cancelled or reassigned (the wait ends, withdrawn);
    `pause` is the customer's pause as the workflow knows it."""

    def __init__(self, stop: Callable[[], bool], pause: Callable[[], PauseState | None]) -> None:
        self._stop = stop
        self._pause = pause
        self._waiting: ApprovalRef | None = None
        self._open = False  # decisions are taken only while the wait has not ended
        self._decision: DecideApproval | None = None
        self._outcome: ApprovalOutcome | None = None
        self.details = ""  # what the workflow's details say while a gate holds it
        self.withdrawn = False  # the last gate ended because the enrollment moved on

    # --- the update -----------------------------------------------------------------------

    def validate(self, request: DecideApproval) -> None:
        waiting = self._waiting
        if waiting is None or waiting.approval_id != request.approval_id or not self._open:
            raise ApplicationError(f"approval {request.approval_id} is not waiting here", type=NOT_PENDING)
        if self._decision is not None:
            raise ApplicationError(
                f"approval {request.approval_id} was already decided by {self._decision.actor}",
                type=NOT_PENDING,
            )
        if request.decision == ApprovalDecision.EDIT and not (
            request.subject or request.text_body or request.html_body
        ):
            raise ApplicationError("an edit needs a new subject or body", type=INVALID_DECISION)

    async def decide(self, request: DecideApproval) -> ApprovalOutcome:
        self._decision = request
        await workflow.wait_condition(
            lambda: self._outcome is not None and self._outcome.approval_id == request.approval_id
        )
        assert self._outcome is not None
        return self._outcome

    # --- the wait -------------------------------------------------------------------------

    async def hold(
        self, enrollment_id: int, occurrence: OccurrenceRef, prepared: PrepareResult
    ) -> SettleApprovalResult:
        """Whether the prepared deliveries may be sent, once a person, the deadline or the end
        of the enrollment has decided (recorded in Postgres with who)."""
        assert prepared.approval is not None
        ref: ApprovalRef = await policies.in_postgres(
            ApprovalActivities.request_approval,
            RequestApprovalInput(
                enrollment_id=enrollment_id,
                occurrence_key=occurrence.key,
                occurrence_label=occurrence.label,
                step_id=occurrence.step_id,
                invoice_id=occurrence.invoice_id,
                delivery_ids=list(prepared.delivery_ids),
                ask=prepared.approval,
                as_of=workflow.now(),
            ),
            f"Ask for approval of {occurrence.label}",
        )
        self._waiting, self._decision, self._outcome, self.withdrawn = ref, None, None, False
        self._open = ref.state == ApprovalState.PENDING
        self._say(f"Waiting for approval by {ref.role} until {ref.deadline_label}")
        if self._open:
            remaining = ref.deadline - workflow.now()
            with contextlib.suppress(TimeoutError):  # the deadline: expired
                await workflow.wait_condition(
                    lambda: self._decision is not None or self._stop(),
                    timeout=remaining,
                    timeout_summary=f"Approval by {ref.role} until {ref.deadline_label}"[:200],
                )
        self._open = False
        result = await self._settle(enrollment_id, ref)
        if result.send and self._pause() is not None and not self._stop():
            self._outcome = self._answer(ref, result, held=True)
            await self._wait_out_pause(ref)
            if self._stop():
                result = await self._settle_as(
                    enrollment_id, ref, ApprovalState.WITHDRAWN, ENGINE, "cancelled or reassigned"
                )
        self._outcome = self._answer(ref, result, held=False) if self._outcome is None else self._outcome
        self.withdrawn = result.state == ApprovalState.WITHDRAWN
        self._waiting = None
        self.details = ""
        return result

    async def _settle(self, enrollment_id: int, ref: ApprovalRef) -> SettleApprovalResult:
        decision = self._decision
        state: ApprovalState
        if ref.state != ApprovalState.PENDING:
            state, actor, note = ref.state, ENGINE, ""
        elif decision is not None:
            state, actor, note = DECIDED[decision.decision], decision.actor, decision.note
        elif self._stop():
            state, actor, note = ApprovalState.WITHDRAWN, ENGINE, "cancelled or reassigned"
        else:
            state, actor, note = ApprovalState.EXPIRED, ENGINE, ""
        return await self._settle_as(enrollment_id, ref, state, actor, note, decision)

    async def _settle_as(
        self,
        enrollment_id: int,
        ref: ApprovalRef,
        state: ApprovalState,
        actor: str,
        note: str,
        decision: DecideApproval | None = None,
    ) -> SettleApprovalResult:
        edit = decision if decision is not None and state == ApprovalState.EDITED else None
        return await policies.in_postgres(
            ApprovalActivities.settle_approval,
            SettleApprovalInput(
                approval_id=ref.approval_id,
                enrollment_id=enrollment_id,
                state=state,
                actor=actor,
                as_of=workflow.now(),
                subject=edit.subject if edit else None,
                html_body=edit.html_body if edit else None,
                text_body=edit.text_body if edit else None,
                note=note,
            ),
            f"Approval {ref.approval_id}: {state}",
        )

    async def _wait_out_pause(self, ref: ApprovalRef) -> None:
        """A decided send goes once the pause ends (resumed, or its `until` passed)."""
        while (pause := self._pause()) is not None and not self._stop():
            self._say(f"Paused: approval {ref.approval_id} decided, its message held until the pause ends")
            timeout = pause.until - workflow.now() if pause.until is not None else None
            if timeout is not None and timeout.total_seconds() <= 0:
                return
            try:
                await workflow.wait_condition(
                    lambda: self._pause() is not pause or self._stop(),
                    timeout=timeout,
                    timeout_summary="Approved message held while paused",
                )
            except TimeoutError:
                return

    def _answer(self, ref: ApprovalRef, result: SettleApprovalResult, *, held: bool) -> ApprovalOutcome:
        return ApprovalOutcome(
            approval_id=ref.approval_id,
            state=result.state,
            decided_by=result.decided_by,
            will_send=result.send,
            held_for_pause=held,
            summary=result.summary,
        )

    def _say(self, details: str) -> None:
        self.details = details
        workflow.set_current_details(details)
