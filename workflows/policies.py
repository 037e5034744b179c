"""How long the enrollment's activities may run, how they retry, and how big a run may grow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

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

# A bulk-enroll batch: 50 customers, each a short transaction and a signal-with-start.
BATCH_ATTEMPT = timedelta(minutes=5)
BATCH_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))

ParamT = TypeVar("ParamT")
ResultT = TypeVar("ResultT")


async def in_postgres(
    activity: Callable[[Any, ParamT], Awaitable[ResultT]],
    arg: ParamT,
    summary: str,
    attempt: timedelta = DB_ATTEMPT,
) -> ResultT:
    """Database work is a local activity: short attempts, retried soon and often."""
    return await workflow.execute_local_activity_method(
        activity, arg, start_to_close_timeout=attempt, retry_policy=DB_RETRY, summary=summary
    )


# `workflow.patched` ids of behaviour changes made once histories existed (docs/REPLAY.md).
# After the last step, continue with the successor (or complete) in the same wake-up.
PATCH_END_WITH_LAST_STEP = "end-with-last-step"
# An invoice or auto-pay cadence has ended only once one of its steps has run.
PATCH_ENDED_MEANS_RAN = "ended-means-ran"
# Never two continue-with switches without a timer between them.
PATCH_ONE_SWITCH_PER_WAKE = "one-switch-per-wake"
# A paused enrollment continues as new within the history budget, as a running one does.
PATCH_PAUSED_RUNS_BOUNDED = "paused-continues-as-new"
# A definition changed in Postgres without a signal (lost reassign) is adopted as a switch.
PATCH_ADOPT_DEFINITION_FROM_DATABASE = "adopt-definition-from-database"
# A workflow switched OFF in Postgres: its running enrollments wait and send nothing.
PATCH_WAIT_WHILE_OFF = "wait-while-workflow-off"
# Automations: events in Postgres and time triggers are performed at every planning.
PATCH_AUTOMATIONS = "automations"
# No automation attached to the workflow: the planning does not ask `react` (one local activity
# less per wake-up); the plan marks the customer's events processed instead.
PATCH_REACT_ONLY_WHEN_ATTACHED = "react-only-when-attached"
# A switch drops the occurrences the contact cap held back in the workflow being left, recorded.
PATCH_DROP_DEFERRED_ON_SWITCH = "drop-deferred-on-switch"
# A plan that saved its own next wake-up (`PlanResult.next_step_saved`): not saved again.
PATCH_NEXT_STEP_SAVED_BY_PLAN = "next-step-saved-by-plan"
# A workflow that has run its last step writes `workflow_completed` and performs its automations.
PATCH_COMPLETED_EVENT = "workflow-completed-event"
# A step with an approval gate waits for a person's decision (or its deadline) before sending.
PATCH_APPROVAL_GATES = "approval-gates"
# The contact-frequency cap: an occurrence held back is kept and performed at its allowed time.
PATCH_CONTACT_CAP = "contact-cap-deferrals"
# The plan prepares the first due occurrence in its own transaction (`PlanResult.prepared`): a
# due step is one local activity before the send, not two.
PATCH_PLAN_PREPARES_FIRST = "plan-prepares-first-step"
# A run started with `EnrollmentInput.first_wake` (the bulk job's first plan) only starts its
# timer: no search-attribute upsert, no plan at start. Asked only by such runs; one whose first
# task an older worker ran (no marker) keeps planning at start when it replays.
PATCH_FIRST_WAKE = "first-wake"
