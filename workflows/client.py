"""Client-side helpers to start and signal enrollment workflows (used by the API and the CLI).

Not workflow code: it never runs inside the sandbox.
"""

from __future__ import annotations

import contextlib
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.enums import EnrollmentState
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import (
    TASK_QUEUE,
    EnrollmentInput,
    ReassignSignal,
    RefreshSignal,
    enrollment_workflow_id,
)
from workflows.promise import PromiseWorkflow
from workflows.promise_types import PromiseInput, promise_workflow_id
from workflows.search_attributes import CUSTOMER_ID, DEFINITION_ID, ENROLLMENT_STATE, NEXT_STEP_AT


async def enroll(
    client: Client,
    request: EnrollmentInput,
    *,
    actor: str,
    definition_name: str = "",
    task_queue: str = TASK_QUEUE,
    reassign: bool = True,
    workflow_id: str | None = None,
) -> WorkflowHandle[EnrollmentWorkflow, str]:
    """Signal-with-start of the enrollment's own workflow: a running one is reassigned (or, with
    `reassign=False`, only asked to re-plan), a missing one is started. `workflow_id` is the
    one the enrollment's row names (rows from before per-enrollment ids name the customer)."""
    args: list[object]
    if reassign:
        signal, args = (
            "reassign",
            [
                ReassignSignal(
                    definition_id=request.definition_id, actor=actor, enrollment_id=request.enrollment_id
                )
            ],
        )
    else:
        signal, args = "refresh", [RefreshSignal(reason=f"enrolled again by {actor}")]
    customer = request.customer_name or f"customer {request.customer_id}"
    workflow_name = definition_name or f"definition {request.definition_id}"
    return await client.start_workflow(
        EnrollmentWorkflow.run,
        request,
        id=workflow_id or enrollment_workflow_id(request.enrollment_id),
        task_queue=task_queue,
        start_signal=signal,
        start_signal_args=args,
        memo={
            "customer_name": request.customer_name,
            "customer_id": request.customer_id,
            "enrollment_id": request.enrollment_id,
        },
        static_summary=f"Collections for {customer} in '{workflow_name}'"[:200],
        static_details=(
            f"Enrollment {request.enrollment_id} of customer {request.customer_id} "
            f"({customer}), enrolled by {actor}."
        ),
        search_attributes=TypedSearchAttributes(_start_attributes(request)),
    )


def _start_attributes(request: EnrollmentInput) -> list[SearchAttributePair[Any]]:
    """What the Temporal UI finds a new enrollment by; with a first wake-up (the bulk job's
    first plan) its NextStepAt too, which the workflow then never upserts itself."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CUSTOMER_ID, str(request.customer_id)),
        SearchAttributePair(DEFINITION_ID, str(request.definition_id)),
        SearchAttributePair(ENROLLMENT_STATE, EnrollmentState.ACTIVE),
    ]
    if request.first_wake is not None and request.first_wake.wake_at is not None:
        pairs.append(SearchAttributePair(NEXT_STEP_AT, request.first_wake.wake_at))
    return pairs


async def start_promise_deadline(
    client: Client, request: PromiseInput, *, customer_name: str, task_queue: str = TASK_QUEUE
) -> None:
    """Start the promise's deadline workflow; one already running is kept (a retried request)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            PromiseWorkflow.run,
            request,
            id=promise_workflow_id(request.promise_id),
            task_queue=task_queue,
            static_summary=f"Promise to pay {request.promise_id} of {customer_name}"[:200],
            memo={"customer_id": request.customer_id, "promise_id": request.promise_id},
            # Found in the Temporal UI beside the customer's enrollment.
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(CUSTOMER_ID, str(request.customer_id))]
            ),
        )
