"""Wake: N enrollments whose step falls on the same send time (plan, conditions, render, outbox
send, history, next step saved) against N trivial workflows that wake and run one no-op
activity. Both are started with no worker running, then a worker with the same tuning starts and
the clock runs until every one has done its step. Steps per second; target ratio >= 0.5."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from activities.channels.outbox import OutboxChannel
from bench._baseline import WakerWorkflow
from bench._harness import (
    NY,
    Services,
    baseline_worker,
    local_today,
    run_concurrently,
    seed_customers,
    seed_definition,
    seed_enrollments,
    seed_org,
    services,
    start_enrollments,
    wait_until,
)
from bench._report import CpuMeter, figure, machine, parse_args, ratio_line, say
from workers.worker import build_worker

BASELINE_QUEUE = "bench-baseline"
ARCADENCE_QUEUE = "arcadence-bench"


async def baseline(svc: Services, n: int) -> float:
    client = svc.client
    due = datetime.now(UTC)

    def start(i: int) -> Callable[[], Awaitable[object]]:
        return lambda: client.start_workflow(
            WakerWorkflow.run, due, id=f"waker-{i}", task_queue=BASELINE_QUEUE
        )

    await run_concurrently([start(i) for i in range(n)])
    query = 'WorkflowType = "BenchWaker" AND ExecutionStatus = "Completed"'

    async def all_done() -> bool:
        return (await client.count_workflows(query)).count >= n

    cpu = CpuMeter()
    cpu.start()
    began = time.monotonic()
    async with baseline_worker(client, BASELINE_QUEUE, svc.settings(BASELINE_QUEUE)):
        ended = await wait_until(all_done, limit_s=900, interval=0.1, what="baseline wakes")
    cpu.stop(ended - began, "baseline")
    return ended - began


async def arcadence(svc: Services, n: int) -> float:
    local_now = datetime.now(UTC).astimezone(NY)
    if local_now.hour == 0 and local_now.minute < 5:
        raise RuntimeError("run this benchmark after 00:05 New York time (the send time is 'now')")
    # The step falls two minutes ago: inside the on-time grace (15 min), so every enrollment
    # finds it due on its first plan, exactly as a timer firing at the send time would.
    send_at = (local_now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    await seed_org(svc.sessions, send_time=send_at)
    customer_ids = await seed_customers(svc.sessions, n, invoices_each=1)
    definition_id = await seed_definition(
        svc.sessions,
        kind="assignment",
        conditions=[{"metric": "outstanding", "operator": "gte", "value": "1"}],
        steps=[
            {"offset_days": 0, "action": "customer_email"},
            {"offset_days": 30, "action": "customer_email"},
        ],
    )
    enrollment_ids = await seed_enrollments(svc.sessions, customer_ids, definition_id, local_today())
    await start_enrollments(
        svc.client, ARCADENCE_QUEUE, list(zip(enrollment_ids, customer_ids, strict=True)), definition_id
    )
    outbox = OutboxChannel(svc.sessions)
    worker = build_worker(
        svc.client,
        task_queue=ARCADENCE_QUEUE,
        sessions=svc.sessions,
        email=outbox,
        sms=outbox,
        settings=svc.settings(ARCADENCE_QUEUE),
    )

    async def all_asleep_again() -> bool:
        # Recorded, and asleep until the next step (the plan saves it before the send now).
        recorded = await svc.scalar("SELECT count(*) FROM history_entry WHERE action = 'message_sent'")
        if recorded < n:
            return False
        done = await svc.scalar("SELECT count(*) FROM enrollment WHERE next_step_at IS NOT NULL")
        return done >= n

    statements = 0
    shapes: Counter[str] = Counter()

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal statements
        if "next_step_at IS NOT NULL" not in statement and "FROM history_entry" not in statement:
            # not the benchmark's own polling
            statements += 1
            shapes[_shape(statement)] += 1

    cpu = CpuMeter()
    cpu.start()
    began = time.monotonic()
    # Every SQL statement the worker sends (the worker shares this engine), for docs/SCALING.md.
    event.listen(svc.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with worker:
            ended = await wait_until(all_asleep_again, limit_s=900, interval=0.1, what="arcadence wakes")
    finally:
        event.remove(svc.engine.sync_engine, "before_cursor_execute", count)
    cpu.stop(ended - began, "arcadence")
    figure("arcadence SQL statements per step (worker)", statements / n)
    for shape, times in shapes.most_common(STATEMENT_SHAPES):
        figure(f"  per step: {shape}", f"{times / n:.2f}")
    sent = await svc.scalar("SELECT count(*) FROM delivery WHERE status = 'sent'")
    recorded = await svc.scalar("SELECT count(*) FROM history_entry WHERE action = 'message_sent'")
    figure("arcadence deliveries sent / history entries", f"{sent} / {recorded}")
    if sent != n or recorded != n:
        raise RuntimeError(f"expected {n} sends and history entries, got {sent} and {recorded}")
    return ended - began


# The statements a step sends most, by shape (the benchmark prints them: where a step's
# round trips to Postgres go).
STATEMENT_SHAPES = 15


def _shape(statement: str) -> str:
    """A statement's kind and main table, e.g. "SELECT ... FROM enrollment"."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    lowered = [w.lower() for w in words]
    for marker in ("from", "into", "update"):
        if marker in lowered:
            index = lowered.index(marker)
            if index + 1 < len(words):
                return f"{verb} {marker} {words[index + 1].strip('(),')}"
    return verb


async def main() -> None:
    args = parse_args(__doc__ or "")
    n = 300 if args.quick else 1_000
    say(f"bench wake: N = {n} ({machine()})")
    async with services("dev") as svc:
        base = await baseline(svc, n)
        ours = await arcadence(svc, n)
    figure("baseline: worker start until every waker ran its activity", base, "s")
    figure("baseline rate", n / base, "steps/s")
    figure("arcadence: worker start until every step sent, recorded, next step saved", ours, "s")
    figure("arcadence rate", n / ours, "steps/s")
    ratio_line("wake", (n / ours) / (n / base), ">=", 0.5)


if __name__ == "__main__":
    asyncio.run(main())
