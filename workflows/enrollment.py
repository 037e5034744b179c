"""The enrollment workflow: one customer's collections cadence, from plan to send to record.

It sleeps on a timer that signals can interrupt, re-reads the truth from Postgres (through
activities) before it acts, and says in plain words what it waits for.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from temporalio import workflow

from workflows import automations, deferrals, endings, policies, steps, wording
from workflows.approvals import ApprovalGate
from workflows.timer import InterruptibleTimer

with workflow.unsafe.imports_passed_through():
    from activities.automation_contracts import ReactResult
    from activities.contracts import (
        FinishInput,
        NextStepInput,
        PlanInput,
        PlanResult,
        SwitchInput,
        SwitchReason,
        SwitchResult,
    )
    from activities.planning import PlanningActivities
    from activities.recording import RecordingActivities
    from domain.enums import DefinitionKind, EnrollmentState, HistoryAction
    from workflows.approval_types import ApprovalOutcome, DecideApproval
    from workflows.enrollment_types import (
        CancelSignal,
        ContinueWithSignal,
        EnrollmentInput,
        EnrollmentStatus,
        FirstWake,
        PauseSignal,
        PauseState,
        ReassignSignal,
        RefreshSignal,
        ResumeSignal,
    )
    from workflows.search_attributes import CUSTOMER_ID, DEFINITION_ID, ENROLLMENT_STATE, NEXT_STEP_AT


@workflow.defn(name="Enrollment")
class EnrollmentWorkflow:
    @workflow.init
    def __init__(self, input: EnrollmentInput) -> None:
        self._input = input
        self._carried = input.carried
        self._definition_id = input.definition_id
        self._definition_name = ""
        self._definition_version = 0
        self._switched_since_timer = False
        self._state = EnrollmentState.ACTIVE
        self._next_at: datetime | None = None
        self._next_label = ""
        self._details = "Starting"
        self._timer = InterruptibleTimer()
        self._reassign: ReassignSignal | None = None
        self._cancel: CancelSignal | None = None
        self._resume_requested: ResumeSignal | None = None
        self._refreshed = False
        self._steps_this_run = 0
        self._approvals = ApprovalGate(
            stop=lambda: self._cancel is not None or self._reassign is not None,
            pause=lambda: self._carried.pause,
        )

    # --- signals and query ---------------------------------------------------------------

    @workflow.signal
    def pause(self, signal: PauseSignal) -> None:
        self._carried.pause = PauseState(actor=signal.actor, reason=signal.reason, until=signal.until)
        self._resume_requested = None
        self._timer.interrupt()

    @workflow.signal
    def resume(self, signal: ResumeSignal) -> None:
        self._carried.pause = None
        self._resume_requested = signal
        self._timer.interrupt()

    @workflow.signal
    def reassign(self, signal: ReassignSignal) -> None:
        if signal.enrollment_id is not None and signal.enrollment_id != self._input.enrollment_id:
            workflow.logger.warning("Ignored a reassign meant for enrollment %d", signal.enrollment_id)
            return
        self._reassign = signal
        self._timer.interrupt()

    @workflow.signal
    def continue_with(self, signal: ContinueWithSignal) -> None:
        self._carried.continue_with_id = signal.definition_id
        self._timer.interrupt()

    @workflow.signal
    def refresh(self, signal: RefreshSignal) -> None:
        self._refreshed = True
        self._timer.interrupt()

    @workflow.signal
    def cancel(self, signal: CancelSignal) -> None:
        self._cancel = signal
        self._timer.interrupt()

    @workflow.update
    async def decide_approval(self, request: DecideApproval) -> ApprovalOutcome:
        """A person's decision on the approval that waits (workflows/approvals.py)."""
        return await self._approvals.decide(request)

    @decide_approval.validator
    def _validate_decision(self, request: DecideApproval) -> None:
        self._approvals.validate(request)

    @workflow.query
    def status(self) -> EnrollmentStatus:
        pause = self._carried.pause
        return EnrollmentStatus(
            enrollment_id=self._input.enrollment_id,
            customer_id=self._input.customer_id,
            definition_id=self._definition_id,
            definition_name=self._definition_name,
            state=self._state,
            paused=pause is not None,
            pause_reason=pause.reason if pause else None,
            paused_until=pause.until if pause else None,
            next_step_at=self._next_at,
            next_step=self._next_label,
            steps_done=self._carried.steps_done,
            continue_with_id=self._carried.continue_with_id,
            last_skip_reason=self._carried.last_skip_reason,
            details=self._approvals.details or self._details,
            definition_version=self._definition_version,
        )

    # --- main loop -----------------------------------------------------------------------

    @workflow.run
    async def run(self, input: EnrollmentInput) -> str:
        first = (
            input.first_wake
            if input.first_wake is not None and workflow.patched(policies.PATCH_FIRST_WAKE)
            else None
        )
        if first is None:
            # A run started with its first wake-up was given these (and NextStepAt) at start.
            workflow.upsert_search_attributes(
                [
                    CUSTOMER_ID.value_set(str(input.customer_id)),
                    DEFINITION_ID.value_set(str(input.definition_id)),
                    ENROLLMENT_STATE.value_set(EnrollmentState.ACTIVE),
                ]
            )
        if input.carried.cursor is None and self._carried.performed_here is None:
            self._carried.performed_here = False  # a new enrollment: nothing has run yet
        start = self._reassign
        if start is not None and start.definition_id == input.definition_id and input.carried.cursor is None:
            # Signal-with-start delivers "reassign" to a brand-new run too: nothing to switch.
            self._reassign = None
        if first is not None and input.carried.cursor is None and not self._asked_at_start():
            self._timer.rearm()  # the start's own reassign was nothing to handle
            await self._sleep_until_first(first)
        while True:
            # Re-armed before reading the truth: a signal that lands while we plan or send
            # interrupts it again, and the next wait returns at once to plan again.
            self._timer.rearm()
            # A gate withdrawn by a cancel or reassign stopped the last round; this one starts anew.
            self._approvals.withdrawn = False
            if self._cancel is not None:
                return await self._finish(EnrollmentState.CANCELLED, self._cancel.reason, self._cancel.actor)
            if self._reassign is not None:
                await self._switch(
                    self._reassign.definition_id, SwitchReason.REASSIGN, self._reassign.actor, signalled=True
                )
                self._reassign = None
            if self._resume_requested is not None:
                self._details = f"Resumed by {self._resume_requested.actor}"
                self._resume_requested = None

            as_of = workflow.now()
            plan = await self._plan(as_of)
            planned_at = plan.next_at  # as the plan activity computed (and may have saved) it
            if plan.enrollment_state in (EnrollmentState.COMPLETED, EnrollmentState.CANCELLED):
                # Postgres is the truth: an enrollment ended there (or run by another workflow)
                # ends here too, without a send.
                self._set_state(plan.enrollment_state)
                self._next_at = None
                self._details = wording.finished_details(plan.enrollment_state, "ended in the database")
                return plan.enrollment_state
            self._adopt_pause_from_database(plan)

            if not plan.definition_enabled and workflow.patched(policies.PATCH_WAIT_WHILE_OFF):
                # Switched OFF: nothing is sent and the cursor stays, so switching it ON again
                # meets what passed meanwhile under the catch-up policy.
                if self._should_continue_as_new():
                    await self._continue_as_new()
                await self._wait_while_off(plan)
                continue

            if workflow.patched(policies.PATCH_AUTOMATIONS) and (
                plan.automations_attached or not workflow.patched(policies.PATCH_REACT_ONLY_WHEN_ATTACHED)
            ):
                # Events and time triggers first, whatever the pause: a pause stops what reaches
                # the customer (prepare refuses it), not the team's automations.
                reaction = await automations.react(self._input.enrollment_id, self._carried.cursor, as_of)
                control = await self._perform_automations(reaction, as_of)
                if control.cancel:
                    return await self._finish(EnrollmentState.CANCELLED, control.reason, steps.ENGINE)
                if control.move_to is not None:
                    await self._switch(control.move_to, SwitchReason.REASSIGN, steps.ENGINE)
                    continue
                if control.paused_or_resumed:
                    continue  # plan again: the pause in Postgres has changed
                plan = automations.sooner(plan, reaction, as_of)

            if self._carried.pause is not None:
                # A pause of years wakes weekly to re-read the truth: its runs stay bounded too.
                if self._should_continue_as_new() and workflow.patched(policies.PATCH_PAUSED_RUNS_BOUNDED):
                    await self._continue_as_new()
                await self._wait_while_paused(plan, self._carried.pause)
                continue

            if plan.missed:
                await steps.record_missed(self._input.enrollment_id, plan)
            while (held := deferrals.take_next_due(self._carried, as_of)) is not None:
                self._details = f"Working on {held.label} (held back by the contact cap)"
                await steps.perform(
                    self._input.enrollment_id, held, as_of, gate=self._approvals, carried=self._carried
                )
                if self._approvals.withdrawn:
                    break
            # Cancelled or reassigned while a held-back step's gate waited: the loop's top handles it.
            due = [] if self._approvals.withdrawn else plan.due
            for occurrence in due:
                self._details = f"Working on {occurrence.label}"
                not_sent = await steps.perform(
                    self._input.enrollment_id,
                    occurrence,
                    as_of,
                    gate=self._approvals,
                    carried=self._carried,
                    prepared=plan.prepared if plan.prepared_key == occurrence.key else None,
                )
                if not_sent is not None:
                    self._carried.last_skip_reason = not_sent
                self._count_step()
                self._carried.performed_here = True
                if self._approvals.withdrawn:
                    break  # cancelled or reassigned while a gate waited: the loop's top handles it
            self._carried.cursor = as_of

            if endings.has_ended(plan, self._carried) and not self._carried.deferred:
                successor = self._carried.continue_with_id or plan.continue_with_id
                switching = successor is not None and endings.may_switch_now(self._switched_since_timer)
                completing = successor is None and plan.kind == DefinitionKind.ASSIGNMENT
                if (switching or completing) and workflow.patched(policies.PATCH_COMPLETED_EVENT):
                    # The completed workflow's own automations perform its `workflow_completed`
                    # before it ends or hands over; one of them may cancel or move it instead.
                    control = await self._react_to_completion(plan, as_of)
                    if control.cancel:
                        return await self._finish(EnrollmentState.CANCELLED, control.reason, steps.ENGINE)
                    if control.move_to is not None:
                        self._carried.continue_with_id = None
                        await self._switch(control.move_to, SwitchReason.REASSIGN, steps.ENGINE)
                        self._switched_since_timer = True
                        continue
                if switching and successor is not None:
                    self._carried.continue_with_id = None
                    await self._switch(successor, SwitchReason.CONTINUE_WITH, steps.ENGINE)
                    self._switched_since_timer = True
                    continue
                if completing:
                    return await self._finish(EnrollmentState.COMPLETED, "All steps are done", steps.ENGINE)

            if self._should_continue_as_new():
                await self._continue_as_new()

            await self._sleep_until_next(deferrals.sooner(plan, self._carried), planned_at)

    # --- automations ---------------------------------------------------------------------

    async def _perform_automations(self, reaction: ReactResult, as_of: datetime) -> automations.Control:
        """Each automation that fires now, in order; the first move or cancel ends the round."""
        for work in reaction.work:
            self._details = f"Performing automation '{work.automation_name}'"
            control = await automations.perform(
                self._input.enrollment_id, work, as_of, self._carried, gate=self._approvals
            )
            if control.cancel or control.move_to is not None or control.paused_or_resumed:
                return control
        return automations.Control()

    async def _react_to_completion(self, plan: PlanResult, as_of: datetime) -> automations.Control:
        await automations.completed(self._input.enrollment_id, plan.definition_id, as_of)
        reaction = await automations.react(self._input.enrollment_id, self._carried.cursor, as_of)
        return await self._perform_automations(reaction, as_of)

    # --- plan, switch, finish ------------------------------------------------------------

    async def _plan(self, as_of: datetime) -> PlanResult:
        plan = await self._plan_once(as_of)
        moved = plan.definition_id != self._definition_id and self._carried.cursor is not None
        if moved and workflow.patched(policies.PATCH_ADOPT_DEFINITION_FROM_DATABASE):
            # Postgres names another workflow than the last plan did (a reassign whose signal was
            # lost or is late): adopt it as a switch would, planned fresh from its anchor.
            workflow.logger.info(
                "Definition %s found in Postgres, not %s", plan.definition_id, self._definition_id
            )
            self._carried.cursor = None
            self._carried.performed_here = False
            workflow.upsert_search_attributes([DEFINITION_ID.value_set(str(plan.definition_id))])
            plan = await self._plan_once(as_of)
        self._definition_id = plan.definition_id
        self._definition_name = plan.definition_name
        self._definition_version = plan.definition_version
        return plan

    async def _plan_once(self, as_of: datetime) -> PlanResult:
        # The plan prepares the first due occurrence too, unless a held-back one goes first.
        prepare_first = workflow.patched(policies.PATCH_PLAN_PREPARES_FIRST) and not self._carried.deferred
        return await policies.in_postgres(
            PlanningActivities.plan,
            PlanInput(
                enrollment_id=self._input.enrollment_id,
                cursor=self._carried.cursor,
                as_of=as_of,
                prepare_first=prepare_first,
                definition_id=self._definition_id,
            ),
            "Plan the next step",
            attempt=policies.PREPARE_ATTEMPT if prepare_first else policies.DB_ATTEMPT,
        )

    async def _switch(
        self, definition_id: int, reason: SwitchReason, actor: str, *, signalled: bool = False
    ) -> None:
        if self._carried.deferred and workflow.patched(policies.PATCH_DROP_DEFERRED_ON_SWITCH):
            # Messages the contact cap held back belong to the workflow being left: recorded, not
            # performed later under the next one's name.
            dropped = ", ".join(d.label for d in self._carried.deferred)
            self._carried.deferred = []
            await steps.record(
                self._input.enrollment_id,
                HistoryAction.STEP_SKIPPED,
                f"Held back by the contact cap and now not sent: the enrollment moved on ({dropped})",
                None,
                {"reason": str(reason)},
                key=f"deferred-dropped:{self._input.enrollment_id}:{workflow.now().isoformat()}",
                last_action=False,
            )
        result: SwitchResult = await policies.in_postgres(
            RecordingActivities.switch_definition,
            SwitchInput(
                enrollment_id=self._input.enrollment_id,
                definition_id=definition_id,
                reason=reason,
                actor=actor,
                as_of=workflow.now(),
                from_definition_id=self._definition_id,
                signalled=signalled,
            ),
            f"Switch to definition {definition_id} ({reason})",
        )
        self._definition_id = result.definition_id
        self._definition_name = result.definition_name
        # Re-anchored today; its first plan performs what fell earlier today (a fresh cursor).
        self._carried.cursor = None
        self._carried.performed_here = False
        workflow.upsert_search_attributes([DEFINITION_ID.value_set(str(result.definition_id))])

    async def _finish(self, state: EnrollmentState, reason: str, actor: str) -> str:
        await policies.in_postgres(
            RecordingActivities.finish,
            FinishInput(
                enrollment_id=self._input.enrollment_id,
                state=state,
                reason=reason,
                actor=actor,
                as_of=workflow.now(),
            ),
            f"Mark the enrollment {state}",
        )
        workflow.logger.info("Enrollment %s: %s", state, reason)
        self._set_state(state)
        self._next_at = None
        self._details = wording.finished_details(state, reason)
        workflow.set_current_details(self._details)
        workflow.upsert_search_attributes([NEXT_STEP_AT.value_unset()])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    # --- waiting -------------------------------------------------------------------------

    def _adopt_pause_from_database(self, plan: PlanResult) -> None:
        """The customer's pause in Postgres wins over what signals said (they may be lost)."""
        if plan.customer_paused:
            current = self._carried.pause
            self._carried.pause = PauseState(
                actor=plan.paused_by or (current.actor if current else "unknown"),
                reason=plan.pause_reason or (current.reason if current else ""),
                until=plan.paused_until,
            )
        elif self._carried.pause is not None:
            self._carried.pause = None

    async def _wait_while_paused(self, plan: PlanResult, pause: PauseState) -> None:
        self._set_state(EnrollmentState.PAUSED)
        self._details = wording.paused_details(plan, pause)
        workflow.set_current_details(self._details)
        # Wake at the end of the pause, and at the next step anyway to re-read the truth.
        candidates = [t for t in (pause.until, plan.next_at) if t is not None]
        wake_at = min(candidates) if candidates else None
        await self._timer.sleep_until(wake_at, f"Paused{wording.paused_until(plan, pause)}")
        self._switched_since_timer = False

    async def _wait_while_off(self, plan: PlanResult) -> None:
        self._set_state(EnrollmentState.ACTIVE)
        self._next_at = None
        self._next_label = ""
        self._details = wording.off_details(plan)
        workflow.set_current_details(self._details)
        # Wake at the next step anyway (and daily at most) to re-read `enabled`: a lost signal
        # is caught up then.
        wake_at = workflow.now() + policies.IDLE_REPLAN
        if plan.next_at is not None:
            wake_at = min(wake_at, plan.next_at)
        await self._timer.sleep_until(wake_at, f"Workflow '{plan.definition_name}' is off")
        self._switched_since_timer = False

    async def _sleep_until_next(self, plan: PlanResult, planned_at: datetime | None) -> None:
        """`planned_at`: the next wake-up as the plan activity computed it (before a deferral
        brought it forward); when the plan saved it and it still holds, it is not saved again."""
        self._set_state(EnrollmentState.ACTIVE)
        self._next_at = plan.next_at
        self._next_label = plan.next_label
        saved = plan.next_step_saved and plan.next_at == planned_at
        if not (saved and workflow.patched(policies.PATCH_NEXT_STEP_SAVED_BY_PLAN)):
            await self._save_next_step()
        if plan.next_at is None:
            workflow.upsert_search_attributes([NEXT_STEP_AT.value_unset()])
        else:
            workflow.upsert_search_attributes([NEXT_STEP_AT.value_set(plan.next_at)])
        self._details = wording.waiting_details(plan, self._carried.last_skip_reason)
        workflow.set_current_details(self._details)
        await self._timer.sleep_until(plan.next_at, wording.waiting_summary(plan))
        self._switched_since_timer = False

    def _asked_at_start(self) -> bool:
        """A signal that came with the start (other than its own reassign) is met by a plan now."""
        carried = self._carried
        return (
            self._reassign is not None
            or self._cancel is not None
            or self._resume_requested is not None
            or self._refreshed
            or carried.pause is not None
            or carried.continue_with_id is not None
        )

    async def _sleep_until_first(self, first: FirstWake) -> None:
        """A new enrollment whose first plan was made when it was enrolled (nothing was due
        then): its first task only starts the timer, and it plans from that instant on waking,
        exactly as if it had planned then itself. The enrollment row holds the wake-up already."""
        self._carried.cursor = first.planned_at
        self._definition_name = first.definition_name
        self._definition_version = first.definition_version
        self._next_at = first.wake_at
        self._next_label = first.label
        self._details = wording.first_waiting_details(first)
        workflow.set_current_details(self._details)
        await self._timer.sleep_until(
            first.wake_at, wording.summary_of_wait(first.label if first.wake_at else None)
        )

    async def _save_next_step(self) -> None:
        await policies.in_postgres(
            RecordingActivities.save_next_step,
            NextStepInput(
                enrollment_id=self._input.enrollment_id, state=self._state, next_step_at=self._next_at
            ),
            "Save the next step date",
        )

    # --- bookkeeping ---------------------------------------------------------------------

    def _set_state(self, state: EnrollmentState) -> None:
        if state != self._state:
            self._state = state
            workflow.upsert_search_attributes([ENROLLMENT_STATE.value_set(state)])

    def _count_step(self) -> None:
        self._carried.steps_done += 1
        self._steps_this_run += 1

    async def _continue_as_new(self) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.logger.info("Continuing as new after %d steps", self._steps_this_run)
        workflow.continue_as_new(
            EnrollmentInput(
                enrollment_id=self._input.enrollment_id,
                customer_id=self._input.customer_id,
                definition_id=self._definition_id,
                customer_name=self._input.customer_name,
                carried=self._carried,
                max_steps_per_run=self._input.max_steps_per_run,
            )
        )

    def _should_continue_as_new(self) -> bool:
        """A run ends while its history is still small, whatever the enrollment's age: a cache
        miss replays at most this much, and Temporal's own limits (50 MB, 51,200 events) stay far."""
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or self._steps_this_run >= self._input.max_steps_per_run
            or info.get_current_history_length() >= policies.HISTORY_EVENTS_BUDGET
            or info.get_current_history_size() >= policies.HISTORY_BYTES_BUDGET
        )
