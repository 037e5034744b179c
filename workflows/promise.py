"""A promise to pay's deadline: one small workflow per promise (`promise-<id>`) that sleeps until
the promise is judged, asks the `settle_promise` activity for the outcome, and tells the
customer's enrollment to plan again now (dunning resumes at once when it broke).

A payment or a person may close the promise first: the `closed` signal ends the wait early.
Postgres stays the truth either way; the activity never acts on a promise that is not open.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

from workflows import policies

with workflow.unsafe.imports_passed_through():
    from activities.promise_contracts import SettlePromiseInput
    from activities.promises import PromiseActivities
    from workflows.enrollment_types import RefreshSignal
    from workflows.promise_types import PromiseClosedSignal, PromiseInput

SETTLE_ATTEMPT = timedelta(seconds=30)
# The enrollment workflow's signal, by name: this workflow does not import that one.
REFRESH_SIGNAL = "refresh"


def deadline_label(at: datetime) -> str:
    """The deadline as the workflow's details and timer name it: in UTC, and saying so (a naive
    value is taken as UTC, as stored; never the machine's zone)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%a %d %b %Y %H:%M %Z")


@workflow.defn(name="PromiseToPay")
class PromiseWorkflow:
    @workflow.init
    def __init__(self, input: PromiseInput) -> None:
        self._input = input
        self._closed: PromiseClosedSignal | None = None

    @workflow.signal
    def closed(self, signal: PromiseClosedSignal) -> None:
        self._closed = signal

    @workflow.run
    async def run(self, input: PromiseInput) -> str:
        at = deadline_label(input.deadline_at)
        workflow.set_current_details(f"Waiting until {at}: promise {input.promise_id} is judged then")
        while self._closed is None and workflow.now() < input.deadline_at:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._closed is not None,
                    timeout=input.deadline_at - workflow.now(),
                    timeout_summary=f"Promise {input.promise_id}: judged at {at}",
                )
        if self._closed is not None:
            workflow.set_current_details(f"Closed before its deadline: {self._closed.reason}")
            return f"closed: {self._closed.reason}"
        result = await workflow.execute_activity_method(
            PromiseActivities.settle_promise,
            SettlePromiseInput(promise_id=input.promise_id, as_of=workflow.now()),
            start_to_close_timeout=SETTLE_ATTEMPT,
            retry_policy=policies.DB_RETRY,
            summary=f"Judge promise {input.promise_id}",
        )
        workflow.set_current_details(f"Promise {input.promise_id}: {result.state.value}")
        if result.changed and result.enrollment_workflow_id is not None:
            try:
                await workflow.get_external_workflow_handle(result.enrollment_workflow_id).signal(
                    REFRESH_SIGNAL, RefreshSignal(reason=f"promise to pay {result.state.value}")
                )
            except FailureError:
                # The enrollment ended meanwhile; Postgres holds the outcome, nothing to nudge.
                workflow.logger.info("Enrollment %s not signalled", result.enrollment_workflow_id)
        return result.state.value
