"""The enrollment workflow: one customer's collections cadence, from plan to send to record.

It sleeps on a timer that signals can interrupt, re-reads the truth from Postgres (through
activities) before it acts, and says in plain words what it waits for.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        CloseDeliveryInput,
        FinishInput,
        NextStepInput,
        OccurrenceRef,
        PlanInput,
        PlanResult,
        PrepareInput,
        PrepareResult,
        RecordInput,
        SendInput,
        SendResult,
        SwitchInput,
        SwitchResult,
    )
    from activities.planning import PlanningActivities
    from activities.preparation import PreparationActivities
    from activities.recording import RecordingActivities
    from activities.sending import SendingActivities
    from workflows.enrollment_types import (
        CancelSignal,
        CarriedState,
        ContinueWithSignal,
        EnrollmentInput,
        EnrollmentStatus,
        PauseSignal,
        PauseState,
        ReassignSignal,
        RefreshSignal,
        ResumeSignal,
    )
    from workflows.search_attributes import (
        CUSTOMER_ID,
        DEFINITION_ID,
        ENROLLMENT_STATE,
        NEXT_STEP_AT,
    )

# With nothing scheduled, re-plan now and then anyway: a lost signal costs at most this long.
IDLE_REPLAN = timedelta(days=1)
# A send that cannot get through within this window is stale: it expires instead of arriving late.
SEND_WINDOW = timedelta(hours=6)

# Database work retries soon and often: an outage of Postgres is over within seconds of its end.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=["NonRetryable"],
)
# A run continues as new once its history reaches either budget (checked once per wake-up,
# and a wake-up adds at most a few dozen events): no run nears 2,000 events or 1 MB.
HISTORY_EVENTS_BUDGET = 1_000
HISTORY_BYTES_BUDGET = 512 * 1024

# How long one attempt may run before Temporal gives it to another worker (a crashed worker's
# attempts are retried after this). Postgres statements time out at 15 s by default. A send
# fetches the PDF (15 s) and calls the provider (10 s), but gets more room: in a large wake-up
# it may wait for the event loop and the connection pool, and a send retried while its first
# attempt is still running must end `unknown` (benchmark 2 saw 45 s expire under load).
DB_ATTEMPT = timedelta(seconds=30)
PREPARE_ATTEMPT = timedelta(seconds=60)
SEND_ATTEMPT = timedelta(minutes=2)

SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=15),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=15),
    non_retryable_error_types=["ProviderRejected", "NonRetryable"],
)


@workflow.defn(name="Enrollment")
class EnrollmentWorkflow:
    def __init__(self) -> None:
        self._input: EnrollmentInput | None = None
        self._carried = CarriedState()
        self._definition_id = 0
        self._definition_name = ""
        self._state = "active"
        self._next_at: datetime | None = None
        self._next_label = ""
        self._details = "Starting"
        self._wake = False
        self._reassign: ReassignSignal | None = None
        self._cancel: CancelSignal | None = None
        self._resume_requested: ResumeSignal | None = None
        self._steps_this_run = 0

    # --- signals -------------------------------------------------------------------------

    @workflow.signal
    def pause(self, signal: PauseSignal) -> None:
        self._carried.pause = PauseState(actor=signal.actor, reason=signal.reason, until=signal.until)
        self._resume_requested = None
        self._wake = True

    @workflow.signal
    def resume(self, signal: ResumeSignal) -> None:
        self._carried.pause = None
        self._resume_requested = signal
        self._wake = True

    @workflow.signal
    def reassign(self, signal: ReassignSignal) -> None:
        self._reassign = signal
        self._wake = True

    @workflow.signal
    def continue_with(self, signal: ContinueWithSignal) -> None:
        self._carried.continue_with_id = signal.definition_id
        self._wake = True

    @workflow.signal
    def refresh(self, signal: RefreshSignal) -> None:
        self._wake = True

    @workflow.signal
    def cancel(self, signal: CancelSignal) -> None:
        self._cancel = signal
        self._wake = True

    @workflow.query
    def status(self) -> EnrollmentStatus:
        pause = self._carried.pause
        assert self._input is not None
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
            details=self._details,
        )

    # --- main loop -----------------------------------------------------------------------

    @workflow.run
    async def run(self, input: EnrollmentInput) -> str:
        self._input = input
        self._carried = input.carried
        self._definition_id = input.definition_id
        workflow.upsert_search_attributes(
            [
                CUSTOMER_ID.value_set(str(input.customer_id)),
                DEFINITION_ID.value_set(str(input.definition_id)),
                ENROLLMENT_STATE.value_set("active"),
            ]
        )
        start = self._reassign
        if start is not None and start.definition_id == input.definition_id and input.carried.cursor is None:
            # Signal-with-start delivers "reassign" to a brand-new run too: nothing to switch.
            self._reassign = None
        while True:
            # Cleared before reading the truth: a signal that lands while we plan or send
            # keeps it set, and the next wait returns at once to plan again.
            self._wake = False
            if self._cancel is not None:
                return await self._finish("cancelled", self._cancel.reason, self._cancel.actor)
            if self._reassign is not None:
                await self._switch(self._reassign.definition_id, "reassign", self._reassign.actor)
                self._reassign = None
            if self._resume_requested is not None:
                self._details = f"Resumed by {self._resume_requested.actor}"
                self._resume_requested = None

            as_of = workflow.now()
            plan = await self._plan(as_of)
            if plan.enrollment_state in ("completed", "cancelled"):
                # Postgres is the truth: an enrollment ended there ends here too.
                self._set_state(plan.enrollment_state)
                return plan.enrollment_state
            self._adopt_pause_from_database(plan)

            if self._carried.pause is not None:
                await self._wait_while_paused(plan)
                continue

            if plan.missed:
                await self._record_missed(plan)
            for occurrence in plan.due:
                await self._perform(occurrence, as_of)
            self._carried.cursor = as_of

            if plan.exhausted and not plan.due:
                successor = self._carried.continue_with_id or plan.continue_with_id
                if successor is not None:
                    self._carried.continue_with_id = None
                    await self._switch(successor, "continue_with", "arcadence")
                    continue
                if plan.kind == "assignment":
                    return await self._finish("completed", "All steps are done", "arcadence")

            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                assert self._input is not None
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

            await self._sleep_until_next(plan)

    # --- steps ---------------------------------------------------------------------------

    async def _plan(self, as_of: datetime) -> PlanResult:
        assert self._input is not None
        plan = await workflow.execute_local_activity_method(
            PlanningActivities.plan,
            PlanInput(enrollment_id=self._input.enrollment_id, cursor=self._carried.cursor, as_of=as_of),
            start_to_close_timeout=DB_ATTEMPT,
            retry_policy=DB_RETRY,
            summary="Plan the next step",
        )
        self._definition_id = plan.definition_id
        self._definition_name = plan.definition_name
        return plan

    async def _perform(self, occurrence: OccurrenceRef, as_of: datetime) -> None:
        assert self._input is not None
        self._details = f"Working on {occurrence.label}"
        try:
            prepared: PrepareResult = await workflow.execute_local_activity_method(
                PreparationActivities.prepare,
                PrepareInput(enrollment_id=self._input.enrollment_id, occurrence=occurrence, as_of=as_of),
                start_to_close_timeout=PREPARE_ATTEMPT,
                retry_policy=DB_RETRY,
                summary=f"Prepare {occurrence.label}",
            )
        except (ActivityError, ApplicationError) as err:
            # A local activity's failure arrives as the activity's own error, unwrapped.
            reason = _failure_message(err)
            self._carried.last_skip_reason = reason
            await self._record(
                "step_failed", f"{occurrence.label} failed: {reason}", occurrence, {"error": reason}
            )
            self._count_step()
            return

        if prepared.outcome == "skipped":
            self._carried.last_skip_reason = prepared.reason
            await self._record(
                "step_skipped",
                f"{occurrence.label} not sent: {prepared.reason}",
                occurrence,
                {"conditions": prepared.conditions, **prepared.details},
            )
        elif prepared.outcome == "performed":
            await self._record("step_performed", prepared.reason, occurrence, prepared.details)
        else:
            results = [await self._send(delivery_id) for delivery_id in prepared.delivery_ids]
            await self._record_sends(occurrence, prepared, results)
        self._count_step()

    async def _send(self, delivery_id: int) -> SendResult:
        try:
            return await workflow.execute_activity_method(
                SendingActivities.send,
                SendInput(delivery_id=delivery_id, as_of=workflow.now()),
                schedule_to_close_timeout=SEND_WINDOW,
                start_to_close_timeout=SEND_ATTEMPT,
                retry_policy=SEND_RETRY,
                summary=f"Send delivery {delivery_id}",
            )
        except ActivityError as err:
            expired = isinstance(err.cause, TimeoutError)
            message = _failure_message(err)
            closing = CloseDeliveryInput(
                delivery_id=delivery_id,
                status="expired" if expired else "failed",
                error=message,
                as_of=workflow.now(),
            )
            status = closing.status
            await workflow.execute_local_activity_method(
                SendingActivities.close_delivery,
                closing,
                start_to_close_timeout=DB_ATTEMPT,
                retry_policy=DB_RETRY,
                summary=f"Mark delivery {delivery_id} {status}",
            )
            return SendResult(delivery_id=delivery_id, status=status, note=message)

    async def _record_sends(
        self, occurrence: OccurrenceRef, prepared: PrepareResult, results: list[SendResult]
    ) -> None:
        sent = [r for r in results if r.status in ("sent", "delivered")]
        problems = [r for r in results if r not in sent]
        if sent and not problems:
            action, summary = "message_sent", prepared.reason
        elif sent:
            action = "message_partly_sent"
            summary = f"{prepared.reason}; " + "; ".join(f"{r.status}: {r.note}" for r in problems)
        else:
            action = "message_not_sent"
            summary = f"{occurrence.label} not sent: " + "; ".join(f"{r.status}: {r.note}" for r in problems)
            self._carried.last_skip_reason = summary
        details = {
            "conditions": prepared.conditions,
            "deliveries": [
                {
                    "id": r.delivery_id,
                    "status": r.status,
                    "provider_message_id": r.provider_message_id,
                }
                for r in results
            ],
            **prepared.details,
        }
        await self._record(action, summary, occurrence, details)

    async def _record(
        self,
        action: str,
        description: str,
        occurrence: OccurrenceRef | None,
        details: dict[str, object],
        *,
        actor: str = "arcadence",
        key: str | None = None,
        last_action: bool = True,
    ) -> None:
        assert self._input is not None
        if key is None and occurrence is not None:
            key = f"{occurrence.key}:{action}"
        await workflow.execute_local_activity_method(
            RecordingActivities.record,
            RecordInput(
                enrollment_id=self._input.enrollment_id,
                action=action,
                description=description,
                as_of=workflow.now(),
                occurrence=occurrence,
                actor=actor,
                details=dict(details),
                key=key,
                last_action=last_action,
            ),
            start_to_close_timeout=DB_ATTEMPT,
            retry_policy=DB_RETRY,
            summary=f"Record: {action}",
        )

    async def _record_missed(self, plan: PlanResult) -> None:
        labels = ", ".join(o.label for o in plan.missed[:10])
        more = f" and {len(plan.missed) - 10} more" if len(plan.missed) > 10 else ""
        policy = "the most recent one is sent now" if plan.due else "none is sent late"
        first = plan.missed[0]
        await self._record(
            "steps_missed",
            f"Missed while paused or unavailable: {labels}{more} ({policy}, catch-up policy)",
            None,
            {"missed": [o.key for o in plan.missed]},
            key=f"{first.key}:missed:{len(plan.missed)}",
            last_action=False,
        )

    async def _switch(self, definition_id: int, reason: str, actor: str) -> None:
        assert self._input is not None
        result: SwitchResult = await workflow.execute_local_activity_method(
            RecordingActivities.switch_definition,
            SwitchInput(
                enrollment_id=self._input.enrollment_id,
                definition_id=definition_id,
                reason="reassign" if reason == "reassign" else "continue_with",
                actor=actor,
                as_of=workflow.now(),
            ),
            start_to_close_timeout=DB_ATTEMPT,
            retry_policy=DB_RETRY,
            summary=f"Switch to definition {definition_id} ({reason})",
        )
        self._definition_id = result.definition_id
        self._definition_name = result.definition_name
        # Re-anchored today: occurrences earlier today fall under the catch-up policy.
        self._carried.cursor = None
        workflow.upsert_search_attributes([DEFINITION_ID.value_set(str(result.definition_id))])

    async def _finish(self, state: str, reason: str, actor: str) -> str:
        assert self._input is not None
        await workflow.execute_local_activity_method(
            RecordingActivities.finish,
            FinishInput(
                enrollment_id=self._input.enrollment_id,
                state="cancelled" if state == "cancelled" else "completed",
                reason=reason,
                actor=actor,
                as_of=workflow.now(),
            ),
            start_to_close_timeout=DB_ATTEMPT,
            retry_policy=DB_RETRY,
            summary=f"Mark the enrollment {state}",
        )
        self._set_state(state)
        self._next_at = None
        self._details = f"{state.capitalize()}: {reason}"
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

    async def _wait_while_paused(self, plan: PlanResult) -> None:
        pause = self._carried.pause
        assert pause is not None
        self._set_state("paused")
        until = pause.until
        until_text = f" until {plan.paused_until_label}" if until else ""
        self._details = f"Paused by {pause.actor}{until_text}: {pause.reason}. Nothing is sent while paused."
        workflow.set_current_details(self._details)
        # Wake at the end of the pause, and at the next step anyway to re-read the truth.
        candidates = [t for t in (until, plan.next_at) if t is not None]
        wake_at = min(candidates) if candidates else None
        summary = f"Paused{until_text}"
        await self._sleep(wake_at, summary)

    async def _sleep_until_next(self, plan: PlanResult) -> None:
        self._set_state("active")
        self._next_at = plan.next_at
        self._next_label = plan.next_label
        await self._save_next_step()
        if plan.next_at is None:
            self._details = "Waiting for new invoices or a change of workflow: nothing is scheduled"
            workflow.upsert_search_attributes([NEXT_STEP_AT.value_unset()])
        else:
            self._details = f"Waiting until {plan.next_label}"
            if self._carried.last_skip_reason:
                self._details += f". Last step not sent: {self._carried.last_skip_reason}"
            workflow.upsert_search_attributes([NEXT_STEP_AT.value_set(plan.next_at)])
        workflow.set_current_details(self._details)
        await self._sleep(plan.next_at, f"Wait until {plan.next_label}" if plan.next_at else "Idle")

    async def _save_next_step(self) -> None:
        assert self._input is not None
        await workflow.execute_local_activity_method(
            RecordingActivities.save_next_step,
            NextStepInput(
                enrollment_id=self._input.enrollment_id,
                state=self._state,
                next_step_at=self._next_at,
            ),
            start_to_close_timeout=DB_ATTEMPT,
            retry_policy=DB_RETRY,
            summary="Save the next step date",
        )

    async def _sleep(self, until: datetime | None, summary: str) -> None:
        """Sleep until `until` (or a while, if None); any signal cuts it short.

        The updatable-timer pattern: the remaining time is recomputed from the absolute
        instant after every wake-up, so a signal never shifts the schedule.
        """
        while not self._wake:
            now = workflow.now()
            if until is not None and now >= until:
                return
            remaining = until - now if until is not None else IDLE_REPLAN
            try:
                await workflow.wait_condition(
                    lambda: self._wake, timeout=remaining, timeout_summary=summary[:200]
                )
            except builtins.TimeoutError:
                if until is None:
                    return

    # --- helpers -------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            workflow.upsert_search_attributes([ENROLLMENT_STATE.value_set(state)])

    def _count_step(self) -> None:
        self._carried.steps_done += 1
        self._steps_this_run += 1

    def _should_continue_as_new(self) -> bool:
        """A run ends while its history is still small, whatever the enrollment's age: a cache
        miss replays at most this much, and Temporal's own limits (50 MB, 51,200 events) stay far."""
        info = workflow.info()
        limit = self._input.max_steps_per_run if self._input else 100
        return (
            info.is_continue_as_new_suggested()
            or self._steps_this_run >= limit
            or info.get_current_history_length() >= HISTORY_EVENTS_BUDGET
            or info.get_current_history_size() >= HISTORY_BYTES_BUDGET
        )


def _failure_message(err: ActivityError | ApplicationError) -> str:
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError):
        return cause.message
    if isinstance(cause, TimeoutError):
        return "gave up: the provider did not accept it in time"
    return str(cause or err)
