"""Bulk enroll: N customers through `POST /enrollments/bulk` (the BulkEnroll workflow, its
batches, one signal-with-start per customer) against N trivial long-sleeping workflows started
straight from a Temporal client. Enrollments per second; target ratio >= 0.8."""

from __future__ import annotations

import asyncio
import time

import httpx

from activities.channels.outbox import OutboxChannel
from api.app import create_app
from bench._baseline import SleeperWorkflow
from bench._harness import (
    Services,
    baseline_worker,
    run_concurrently,
    seed_customers,
    seed_definition,
    seed_org,
    seed_owner_key,
    services,
    wait_until,
)
from bench._report import CpuMeter, figure, machine, parse_args, ratio_line, say
from workers.worker import build_worker

BASELINE_QUEUE = "bench-baseline"
ARCADENCE_QUEUE = "arcadence-bench"


async def baseline(svc: Services, n: int) -> float:
    """Seconds to start n sleeping workflows from a client, a worker running them."""
    settings = svc.settings(BASELINE_QUEUE)
    client = svc.client
    async with baseline_worker(client, BASELINE_QUEUE, settings):
        jobs = [
            (
                lambda i=i: client.start_workflow(
                    SleeperWorkflow.run, 365, id=f"sleeper-{i}", task_queue=BASELINE_QUEUE
                )
            )
            for i in range(n)
        ]
        cpu = CpuMeter()
        cpu.start()
        began = time.monotonic()
        await run_concurrently(jobs)
        elapsed = time.monotonic() - began
        cpu.stop(elapsed, "baseline")
        return elapsed


async def arcadence(svc: Services, n: int) -> float:
    """Seconds from the bulk request until its job reports every customer enrolled."""
    await seed_org(svc.sessions)
    key = await seed_owner_key(svc.sessions)
    customer_ids = await seed_customers(svc.sessions, n)
    definition_id = await seed_definition(
        svc.sessions,
        kind="assignment",
        steps=[{"offset_days": 30, "action": "customer_email"}],
    )
    settings = svc.settings(ARCADENCE_QUEUE)
    outbox = OutboxChannel(svc.sessions)
    worker = build_worker(
        svc.client,
        task_queue=ARCADENCE_QUEUE,
        sessions=svc.sessions,
        email=outbox,
        sms=outbox,
        settings=settings,
    )
    app = create_app(settings, sessions=svc.sessions, temporal=svc.client, task_queue=ARCADENCE_QUEUE)
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        worker,
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers, timeout=60
        ) as http,
    ):
        cpu = CpuMeter()
        cpu.start()
        began = time.monotonic()
        response = await http.post(
            "/enrollments/bulk", json={"definition_id": definition_id, "customer_ids": customer_ids}
        )
        response.raise_for_status()
        job_id = response.json()["job_id"]
        progress: dict[str, object] = {}

        async def finished() -> bool:
            nonlocal progress
            reply = await http.get(f"/enrollments/bulk/{job_id}")
            progress = reply.json() if reply.status_code == 200 else {}
            return bool(progress.get("finished"))

        ended = await wait_until(finished, limit_s=900, interval=0.1, what="bulk job finished")
        elapsed = ended - began
        cpu.stop(elapsed, "arcadence")
        figure("arcadence bulk job outcome", str(progress.get("counts")))
        enrolled = await svc.scalar("SELECT count(*) FROM enrollment")
        if enrolled != n:
            raise RuntimeError(f"{enrolled} of {n} enrollments written")
        # The enrollments then plan and go to sleep; not part of the figure, shown for context.
        settle_began = time.monotonic()
        await wait_until(lambda: _all_waiting(svc, n), limit_s=900, interval=0.25, what="enrollments waiting")
        figure(
            "arcadence: then until every enrollment planned and sleeps", time.monotonic() - settle_began, "s"
        )
    return elapsed


async def _all_waiting(svc: Services, n: int) -> bool:
    # The workflows' own view (the bulk job writes the rows' next_step_at itself): each has
    # started the timer of its first step once its search attribute names that step.
    query = 'WorkflowType = "Enrollment" AND NextStepAt IS NOT NULL'
    return (await svc.client.count_workflows(query)).count >= n


async def main() -> None:
    args = parse_args(__doc__ or "")
    n = 500 if args.quick else 2_000
    say(f"bench bulk_enroll: N = {n} ({machine()})")
    async with services("dev") as svc:
        base = await baseline(svc, n)
        ours = await arcadence(svc, n)
    base_rate, our_rate = n / base, n / ours
    figure("baseline: client starts of sleeping workflows", base, "s")
    figure("baseline rate", base_rate, "workflows/s")
    figure("arcadence: bulk API until the job finished", ours, "s")
    figure("arcadence rate", our_rate, "enrollments/s")
    ratio_line("bulk_enroll", our_rate / base_rate, ">=", 0.8)


if __name__ == "__main__":
    asyncio.run(main())
