"""Temporal cost per step: history events, workflow tasks and billable Temporal Cloud actions
per performed step and per idle day, for arcadence and for a trivial baseline, measured in the
same run on Temporal's time-skipping server (eight simulated weeks take seconds).

arcadence: one enrollment in a weekly statement cadence (a step every week), one enrollment
with nothing to send (an invoice cadence and no open invoice: it re-plans once a day) and one
whose next step is a year away. Baseline: `BenchStepper` (sleep a week, one no-op activity,
eight times) and `BenchSleeper` (sleeps a year). Only what each history records between two
moments where the workflow sleeps is counted, so the start is not. Target: arcadence's actions
per step at most the baseline's + 4.

Billable actions are estimated from the history, by Temporal Cloud's published rules (its
"Temporal Cloud Actions" page): a workflow start (a continue-as-new included), a signal, a
timer started, each activity attempt, a search-attribute or memo upsert, a child start; all the
local activities of one workflow task together are one action. Not in a history, so not
counted: activity heartbeats and queries (a step heartbeats only while a send waits).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from activities.channels.outbox import OutboxChannel
from bench._baseline import SleeperWorkflow, StepperWorkflow
from bench._harness import (
    NY,
    Services,
    baseline_worker,
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

ARCADENCE_QUEUE = "arcadence-bench"
BASELINE_QUEUE = "bench-baseline"
WEEKS = 8
LOCAL_ACTIVITY_MARKER = "core_local_activity"
ONE_ACTION = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
}


@dataclass
class Cost:
    events: int
    workflow_tasks: int
    actions: int
    kinds: Counter[str] = field(default_factory=Counter)

    def per(self, count: int) -> tuple[float, float, float]:
        return self.events / count, self.workflow_tasks / count, self.actions / count


def cost(events: Sequence[HistoryEvent]) -> Cost:
    actions = 0
    tasks_with_local_activities: set[int] = set()
    for event in events:
        kind = event.event_type
        if kind in ONE_ACTION:
            actions += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            # One event for the attempt that ran; the retries before it are counted by its number.
            actions += max(1, event.activity_task_started_event_attributes.attempt)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == LOCAL_ACTIVITY_MARKER:
                tasks_with_local_activities.add(marker.workflow_task_completed_event_id)
    tasks = sum(1 for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    kinds = Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_").lower() for e in events)
    return Cost(len(events), tasks, actions + len(tasks_with_local_activities), kinds)


class Watched:
    """A workflow whose history is read at two quiet moments; the cost is what lies between."""

    def __init__(self, svc: Services, workflow_id: str) -> None:
        self.svc, self.workflow_id = svc, workflow_id
        self.mark = 0

    async def quiet(self) -> bool:
        raw = await self.svc.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.svc.client.namespace,
                execution={"workflow_id": self.workflow_id},  # type: ignore[arg-type]
            )
        )
        status = raw.workflow_execution_info.status
        if status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
            return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        return not raw.pending_activities and not raw.HasField("pending_workflow_task")

    async def events(self) -> list[HistoryEvent]:
        history = await self.svc.client.get_workflow_handle(self.workflow_id).fetch_history()
        return list(history.events)

    async def set_mark(self) -> None:
        self.mark = len(await self.events())

    async def since_mark(self) -> Cost:
        events = await self.events()
        if events and events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            raise RuntimeError(f"{self.workflow_id} continued as new during the benchmark: raise the budget")
        return cost(events[self.mark :])


async def main() -> None:
    parse_args(__doc__ or "")
    say(f"bench temporal_cost: {WEEKS} simulated weeks, one step a week ({machine()})")
    async with services("time_skipping") as svc:
        env = svc.env
        assert env is not None
        await seed_org(svc.sessions)
        [stepping] = await seed_customers(svc.sessions, 1, invoices_each=3, prefix="S")
        [idle, asleep] = await seed_customers(svc.sessions, 2, prefix="I")
        today = (await env.get_current_time()).astimezone(NY).date()
        weekly = await seed_definition(
            svc.sessions,
            kind="customer",
            name="Weekly statement",
            frequency={"period": "weekly", "weekday": (today.weekday() + 1) % 7},
            conditions=[{"metric": "overdue", "operator": "gte", "value": "1"}],
            steps=[{"offset_days": 0, "action": "statement_email"}],
        )
        nothing_due = await seed_definition(
            svc.sessions,
            kind="invoice",
            name="Invoice reminders",
            steps=[{"offset_days": 3, "action": "customer_email"}],
        )
        far = await seed_definition(
            svc.sessions,
            kind="assignment",
            name="In a year",
            steps=[{"offset_days": 365, "action": "customer_email"}],
        )
        enrolled = {
            "step": (await seed_enrollments(svc.sessions, [stepping], weekly, today))[0],
            "idle": (await seed_enrollments(svc.sessions, [idle], nothing_due, today))[0],
            "asleep": (await seed_enrollments(svc.sessions, [asleep], far, today))[0],
        }
        outbox = OutboxChannel(svc.sessions)
        worker = build_worker(
            svc.client,
            task_queue=ARCADENCE_QUEUE,
            sessions=svc.sessions,
            email=outbox,
            sms=outbox,
            settings=svc.settings(ARCADENCE_QUEUE),
        )
        baseline = baseline_worker(svc.client, BASELINE_QUEUE, svc.settings(BASELINE_QUEUE))
        watched = {name: Watched(svc, enrollment_workflow_id(e)) for name, e in enrolled.items()}
        watched["baseline step"] = Watched(svc, "bench-stepper")
        watched["baseline asleep"] = Watched(svc, "bench-sleeper")
        async with worker, baseline:
            await start_enrollments(svc.client, ARCADENCE_QUEUE, [(enrolled["step"], stepping)], weekly)
            await start_enrollments(svc.client, ARCADENCE_QUEUE, [(enrolled["idle"], idle)], nothing_due)
            await start_enrollments(svc.client, ARCADENCE_QUEUE, [(enrolled["asleep"], asleep)], far)
            await svc.client.start_workflow(
                StepperWorkflow.run, args=[WEEKS, 7], id="bench-stepper", task_queue=BASELINE_QUEUE
            )
            await svc.client.start_workflow(
                SleeperWorkflow.run, 365, id="bench-sleeper", task_queue=BASELINE_QUEUE
            )

            async def all_quiet() -> bool:
                return all([await w.quiet() for w in watched.values()])

            await wait_until(all_quiet, limit_s=120, interval=0.05, what="first plans")
            # Quiet twice, a second apart, with nothing new in between: the start is over (a quick
            # check could fall between the start's workflow tasks and count some of them).
            while True:
                lengths = [len(await w.events()) for w in watched.values()]
                await asyncio.sleep(1)
                await wait_until(all_quiet, limit_s=120, interval=0.05, what="first plans")
                if lengths == [len(await w.events()) for w in watched.values()]:
                    break
            for w in watched.values():
                await w.set_mark()
            # A day at a time, so the idle enrollment's daily re-plans each run in their own day.
            for _ in range(WEEKS * 7):
                await env.sleep(timedelta(days=1))
                await wait_until(all_quiet, limit_s=120, interval=0.02, what="a simulated day")
            costs = {name: await w.since_mark() for name, w in watched.items()}
        sent = await svc.scalar("SELECT count(*) FROM history_entry WHERE action = 'message_sent'")

    days = WEEKS * 7
    figure("statements sent (arcadence) / steps run (baseline)", f"{sent} / {WEEKS}")
    if sent != WEEKS:
        raise RuntimeError(f"expected {WEEKS} statements, got {sent}")
    for name, count, unit in (
        ("step", WEEKS, "step"),
        ("baseline step", WEEKS, "step"),
        ("idle", days, "idle day (nothing due, daily re-plan)"),
        ("asleep", days, "idle day (next step a year away)"),
        ("baseline asleep", days, "idle day"),
    ):
        events, tasks, actions = costs[name].per(count)
        figure(
            f"{name}: per {unit}", f"{events:.2f} events, {tasks:.2f} workflow tasks, {actions:.2f} actions"
        )
    for name in ("step", "baseline step"):
        shown = ", ".join(f"{k} {v / WEEKS:.2f}" for k, v in costs[name].kinds.most_common())
        figure(f"{name}: events per step by type", shown)
    ours = costs["step"].per(WEEKS)[2]
    base = costs["baseline step"].per(WEEKS)[2]
    ratio_line("temporal_actions_per_step_over_baseline", ours - base, "<=", 4)


if __name__ == "__main__":
    asyncio.run(main())
