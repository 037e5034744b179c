"""Scale-out: the wake benchmark's burst run by `arcadence worker --processes 2` against the same
burst run by `arcadence worker --processes 1`, in the same run, against the same Postgres and
Temporal dev server (on this machine they share the two cores with the workers).

N enrollments per side (two task queues, each side's own), every one with a step due at the
organization's send time two minutes ago, all started (signal-with-start) with no worker
polling their queue; then the worker program starts as deployed (a subprocess) and the clock
runs from the first message sent until every enrollment has sent, recorded and saved its next
step. Steps per second; target: 2 processes / 1 process >= 1.4."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench._harness import (
    NY,
    Services,
    local_today,
    seed_customers,
    seed_definition,
    seed_enrollments,
    seed_org,
    services,
    start_enrollments,
    wait_until,
)
from bench._report import CpuMeter, figure, machine, parse_args, ratio_line, say


def start_worker(svc: Services, queue: str, processes: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARCADENCE_DATABASE_URL": svc.database_url,
        "ARCADENCE_TEMPORAL_ADDRESS": svc.temporal_address,
        "ARCADENCE_TASK_QUEUE": queue,
        "ARCADENCE_LOG_LEVEL": "WARNING",
    }
    env.pop("ARCADENCE_METRICS_PORT", None)
    cli = Path(sys.executable).parent / "arcadence"
    return subprocess.Popen(
        [str(cli), "worker", "--processes", str(processes)], env=env, stdout=subprocess.DEVNULL
    )


async def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(worker.wait, 60)
    except subprocess.TimeoutExpired:
        worker.kill()


async def burst(svc: Services, processes: int, enrollment_ids: list[int]) -> float:
    """Steps per second of one worker program with `processes` processes on its own queue."""
    lo, hi, n = min(enrollment_ids), max(enrollment_ids), len(enrollment_ids)
    where = f"enrollment_id BETWEEN {lo} AND {hi}"

    async def all_asleep_again() -> bool:
        # Recorded, and asleep until the next step (the plan saves it before the send now).
        recorded = await svc.scalar(
            f"SELECT count(*) FROM history_entry WHERE {where} AND action = 'message_sent'"
        )
        if recorded < n:
            return False
        done = await svc.scalar(
            f"SELECT count(*) FROM enrollment WHERE id BETWEEN {lo} AND {hi} AND next_step_at IS NOT NULL"
        )
        return done >= n

    cpu = CpuMeter()
    cpu.start()
    began = time.monotonic()
    worker = start_worker(svc, f"bench-scale-{processes}", processes)
    try:
        await wait_until(all_asleep_again, limit_s=1_800, interval=0.1, what=f"{processes} process(es)")
        done_at = datetime.now(UTC)
        elapsed = time.monotonic() - began
        cpu.stop(elapsed, f"{processes} process(es)")  # while the worker processes still exist
    finally:
        await stop(worker)
    async with svc.engine.connect() as conn:
        first = (await conn.execute(text(f"SELECT min(sent_at) FROM delivery WHERE {where}"))).scalar_one()
    sent = await svc.scalar(f"SELECT count(*) FROM delivery WHERE status = 'sent' AND {where}")
    recorded = await svc.scalar(
        f"SELECT count(*) FROM history_entry WHERE action = 'message_sent' AND {where}"
    )
    if sent != n or recorded != n:
        raise RuntimeError(f"expected {n} sends and history entries, got {sent} and {recorded}")
    span = float((done_at - first).total_seconds())
    figure(f"{processes} process(es): worker start until all done", elapsed, "s")
    figure(f"{processes} process(es): first send until all done", span, "s")
    figure(f"{processes} process(es): rate", n / span, "steps/s")
    return n / span


async def main() -> None:
    args = parse_args(__doc__ or "")
    n = 300 if args.quick else 1_000
    say(f"bench scale_out: N = {n} per side, 1 vs 2 worker processes ({machine()})")
    async with services("dev") as svc:
        local_now = datetime.now(UTC).astimezone(NY)
        if local_now.hour == 0 and local_now.minute < 5:
            raise RuntimeError("run this benchmark after 00:05 New York time (the send time is 'now')")
        send_at = (local_now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
        await seed_org(svc.sessions, send_time=send_at)
        definition_id = await seed_definition(
            svc.sessions,
            kind="assignment",
            conditions=[{"metric": "outstanding", "operator": "gte", "value": "1"}],
            steps=[
                {"offset_days": 0, "action": "customer_email"},
                {"offset_days": 30, "action": "customer_email"},
            ],
        )
        sides: dict[int, list[int]] = {}
        for processes in (1, 2):
            customers = await seed_customers(svc.sessions, n, invoices_each=1, prefix=f"P{processes}")
            enrollments = await seed_enrollments(svc.sessions, customers, definition_id, local_today())
            await start_enrollments(
                svc.client,
                f"bench-scale-{processes}",
                list(zip(enrollments, customers, strict=True)),
                definition_id,
            )
            sides[processes] = enrollments
        one = await burst(svc, 1, sides[1])
        two = await burst(svc, 2, sides[2])
    ratio_line("scale_out", two / one, ">=", 1.4)


if __name__ == "__main__":
    asyncio.run(main())
