"""Bulk enrollment: answered at once with a job id; the job is a Temporal workflow of its own."""

from __future__ import annotations

import uuid

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from models import User, WorkflowDefinition
from services.common import get_or_404
from services.errors import Conflict, NotFound, Unavailable
from services.schemas.enrollments import BulkEnrollIn, BulkJobOut, BulkProgressOut, OutcomeOut
from services.unit_of_work import UnitOfWork
from workflows.bulk_enroll import BulkEnrollWorkflow
from workflows.bulk_enroll_types import BulkEnrollInput, BulkProgress, bulk_job_workflow_id


async def start_bulk(uow: UnitOfWork, request: BulkEnrollIn, actor: User) -> BulkJobOut:
    definition = await get_or_404(
        uow.session, WorkflowDefinition, request.definition_id, "workflow definition"
    )
    if not definition.enabled:
        raise Conflict(f"workflow '{definition.name}' is disabled", code="definition_disabled")
    job_id = uuid.uuid4().hex[:16]
    workflow_id = bulk_job_workflow_id(job_id)
    ids = list(dict.fromkeys(request.customer_ids))
    try:
        await uow.state.temporal.start_workflow(
            BulkEnrollWorkflow.run,
            BulkEnrollInput(
                job_id=job_id,
                definition_id=request.definition_id,
                customer_ids=ids,
                actor=actor.email,
                emails=dict(request.emails),
            ),
            id=workflow_id,
            task_queue=uow.state.task_queue,
            static_summary=f"Bulk enroll {len(ids)} customers in '{definition.name}' by {actor.email}"[:200],
        )
    except RPCError as err:
        raise Unavailable(
            "Temporal could not be reached; retry the request", code="temporal_unavailable"
        ) from err
    return BulkJobOut(job_id=job_id, workflow_id=workflow_id, total=len(ids))


async def progress(uow: UnitOfWork, job_id: str, with_outcomes: bool) -> BulkProgressOut:
    handle: WorkflowHandle[BulkEnrollWorkflow, BulkProgress] = uow.state.temporal.get_workflow_handle(
        bulk_job_workflow_id(job_id)
    )
    try:
        state = await handle.query(BulkEnrollWorkflow.progress, with_outcomes)
    except RPCError as err:
        raise NotFound(f"bulk job {job_id} does not exist") from err
    return BulkProgressOut(
        job_id=state.job_id,
        definition_id=state.definition_id,
        total=state.total,
        done=state.done,
        counts=state.counts,
        finished=state.finished,
        outcomes=[
            OutcomeOut(customer_id=o.customer_id, outcome=o.outcome, reason=o.reason) for o in state.outcomes
        ],
    )
