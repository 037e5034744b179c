"""Worker memory: the RSS of an `arcadence worker` process (a subprocess, as deployed) holding
10,000 sleeping enrollments in its workflow cache, against the same worker holding 100.
Target ratio <= 1.3."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from bench._harness import (
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
from bench._report import figure, machine, parse_args, ratio_line, say
from models.settings import Settings
from workers.embedded.ports import free_port, wait_for_port

QUEUE = "arcadence-bench"
SMALL = 100
MB = 1024 * 1024


def start_worker(svc: Services, metrics_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARCADENCE_DATABASE_URL": svc.database_url,
        "ARCADENCE_TEMPORAL_ADDRESS": svc.temporal_address,
        "ARCADENCE_TASK_QUEUE": QUEUE,
        "ARCADENCE_METRICS_PORT": str(metrics_port),
        "ARCADENCE_LOG_LEVEL": "WARNING",
    }
    cli = Path(sys.executable).parent / "arcadence"
    return subprocess.Popen([str(cli), "worker"], env=env, stdout=subprocess.DEVNULL)


async def cache_size(metrics_port: int) -> int:
    """The worker's own count of cached workflows (the SDK's `sticky_cache_size` gauge)."""
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    sizes = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("temporal_sticky_cache_size")
    ]
    return int(sum(sizes))


async def settle(svc: Services, metrics_port: int, count: int) -> None:
    """Until `count` enrollments have planned, saved their next step and sit in the cache."""

    held = min(count, Settings().max_cached_workflows)

    async def asleep() -> bool:
        planned = await svc.scalar("SELECT count(*) FROM enrollment WHERE next_step_at IS NOT NULL")
        return planned >= count and await cache_size(metrics_port) >= held

    await wait_until(asleep, limit_s=1_800, interval=0.5, what=f"{count} enrollments asleep ({held} cached)")
    # The last workflow tasks complete just after the activity that saved the next step.
    await asyncio.sleep(3)


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


async def main() -> None:
    args = parse_args(__doc__ or "")
    big = 1_000 if args.quick else 10_000
    say(f"bench worker_memory: {big} vs {SMALL} sleeping enrollments ({machine()})")
    async with services("dev") as svc:
        await seed_org(svc.sessions)
        customer_ids = await seed_customers(svc.sessions, big)
        definition_id = await seed_definition(
            svc.sessions, kind="assignment", steps=[{"offset_days": 30, "action": "customer_email"}]
        )
        enrollment_ids = await seed_enrollments(svc.sessions, customer_ids, definition_id, local_today())
        pairs = list(zip(enrollment_ids, customer_ids, strict=True))
        metrics_port = free_port()
        worker = start_worker(svc, metrics_port)
        try:
            await asyncio.to_thread(wait_for_port, metrics_port, "127.0.0.1", 60.0)
            await asyncio.sleep(2)
            idle = rss(worker.pid)
            figure("worker RSS, started, no enrollment", idle / MB, "MiB")

            await start_enrollments(svc.client, QUEUE, pairs[:SMALL], definition_id)
            await settle(svc, metrics_port, SMALL)
            small_rss = rss(worker.pid)
            figure(f"worker RSS with {SMALL} sleeping enrollments", small_rss / MB, "MiB")
            figure("cached workflows", await cache_size(metrics_port))

            began = time.monotonic()
            await start_enrollments(svc.client, QUEUE, pairs[SMALL:], definition_id)
            await settle(svc, metrics_port, big)
            figure(f"time to start and settle {big - SMALL} more", time.monotonic() - began, "s")
            big_rss = rss(worker.pid)
            running = await svc.client.count_workflows(
                'WorkflowType = "Enrollment" AND ExecutionStatus = "Running"'
            )
            figure(f"worker RSS with {big} sleeping enrollments", big_rss / MB, "MiB")
            figure("cached workflows", await cache_size(metrics_port))
            figure("enrollment workflows running (Temporal visibility)", running.count)
            figure("per cached enrollment", (big_rss - small_rss) / (big - SMALL) / 1024, "KiB")
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(worker.wait, 30)
            except subprocess.TimeoutExpired:
                worker.kill()
    ratio_line("worker_memory", big_rss / small_rss, "<=", 1.3)


if __name__ == "__main__":
    asyncio.run(main())
