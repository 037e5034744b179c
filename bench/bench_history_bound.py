"""History bound: three simulated years of weekly statements (Temporal's time-skipping server),
then every run of the continue-as-new chain: its event count and its serialized size. Target:
no run over 2,000 events or 1 MB, whatever the enrollment's age."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from activities.channels.outbox import OutboxChannel
from bench._harness import (
    NY,
    Services,
    seed_customers,
    seed_definition,
    seed_enrollments,
    seed_org,
    services,
    start_enrollments,
    wait_until,
)
from bench._report import figure, machine, parse_args, ratio_line, say
from workers.worker import build_worker
from workflows.enrollment_types import enrollment_workflow_id

QUEUE = "arcadence-bench"
YEARS = 3
MAX_EVENTS = 2_000
MAX_BYTES = 1_000_000
CONTINUED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


async def quiet(svc: Services, workflow_id: str) -> bool:
    """No activity and no workflow task outstanding: the workflow sleeps on its timer."""
    raw = await svc.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=svc.client.namespace,
            execution={"workflow_id": workflow_id},  # type: ignore[arg-type]
        )
    )
    running = raw.workflow_execution_info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    return running and not raw.pending_activities and not raw.HasField("pending_workflow_task")


async def main() -> None:
    parse_args(__doc__ or "")
    say(f"bench history_bound: {YEARS} simulated years of weekly statements ({machine()})")
    async with services("time_skipping") as svc:
        env = svc.env
        assert env is not None
        await seed_org(svc.sessions)
        [customer_id] = await seed_customers(svc.sessions, 1, invoices_each=3)
        today = (await env.get_current_time()).astimezone(NY).date()
        definition_id = await seed_definition(
            svc.sessions,
            kind="customer",
            frequency={"period": "weekly", "weekday": (today.weekday() + 1) % 7},
            conditions=[{"metric": "overdue", "operator": "gte", "value": "1"}],
            steps=[{"offset_days": 0, "action": "statement_email"}],
        )
        [enrollment_id] = await seed_enrollments(svc.sessions, [customer_id], definition_id, today)
        outbox = OutboxChannel(svc.sessions)
        worker = build_worker(
            svc.client,
            task_queue=QUEUE,
            sessions=svc.sessions,
            email=outbox,
            sms=outbox,
            settings=svc.settings(QUEUE),
        )
        workflow_id = enrollment_workflow_id(enrollment_id)
        began = time.monotonic()
        async with worker:
            await start_enrollments(svc.client, QUEUE, [(enrollment_id, customer_id)], definition_id)
            await wait_until(lambda: quiet(svc, workflow_id), limit_s=60, interval=0.05, what="first plan")
            # A week at a time: the server fires the timer, the step runs, the workflow sleeps again.
            for _ in range(YEARS * 52 + 1):
                await env.sleep(timedelta(days=7))
                await wait_until(lambda: quiet(svc, workflow_id), limit_s=60, interval=0.02, what="a step")
            first_run_id = await _first_run_id(svc, workflow_id)
            runs = await _chain(svc, workflow_id, first_run_id)
        elapsed = time.monotonic() - began
        sent = await svc.scalar("SELECT count(*) FROM delivery WHERE status = 'sent'")
        steps = await svc.scalar("SELECT count(*) FROM history_entry WHERE action = 'message_sent'")

    figure("wall time for the simulated years", elapsed, "s")
    figure("statements sent", sent)
    figure("runs (continue-as-new chain)", len(runs))
    total_events = sum(events for events, _ in runs)
    figure("events per step", total_events / max(steps, 1))
    for number, (events, size) in enumerate(runs, start=1):
        figure(f"run {number}", f"{events} events, {size / 1024:.1f} KiB")
    largest_events = max(events for events, _ in runs)
    largest_bytes = max(size for _, size in runs)
    figure("largest run", f"{largest_events} events, {largest_bytes / 1024:.1f} KiB")
    ratio_line("history_bound", max(largest_events / MAX_EVENTS, largest_bytes / MAX_BYTES), "<=", 1.0)


async def _first_run_id(svc: Services, workflow_id: str) -> str:
    """The run that the enrollment started with (the handle's first_execution_run_id)."""
    raw = await svc.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=svc.client.namespace,
            execution={"workflow_id": workflow_id},  # type: ignore[arg-type]
        )
    )
    return str(raw.workflow_execution_info.first_run_id or raw.workflow_execution_info.execution.run_id)


async def _chain(svc: Services, workflow_id: str, run_id: str) -> list[tuple[int, int]]:
    """(events, bytes) of every run, following continue-as-new from the first run."""
    runs: list[tuple[int, int]] = []
    current: str | None = run_id
    while current:
        history = await svc.client.get_workflow_handle(workflow_id, run_id=current).fetch_history()
        size = History(events=history.events).ByteSize()
        runs.append((len(history.events), size))
        last = history.events[-1] if history.events else None
        current = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last is not None and last.event_type == CONTINUED
            else None
        )
    return runs


if __name__ == "__main__":
    asyncio.run(main())
