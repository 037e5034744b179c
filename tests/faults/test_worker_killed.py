"""SIGKILL the worker in the middle of a wake of 200 enrollments, then start another one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import Delivery, HistoryEntry, Task
from models.db import session_factory
from tests.faults.conftest import (
    WorkerProcess,
    delivery_counts,
    due_now,
    report,
    start_all,
    start_worker,
    wait_for_history,
    wait_until_settled,
    worker_env,
)
from tests.faults.provider_stub import provider_stub

COUNT = 200


async def test_a_worker_killed_mid_wake_loses_no_step_and_sends_nothing_twice(
    session: AsyncSession,
    fresh_database_url: str,
    temporal_client: Client,
    workers: list[WorkerProcess],
    tmp_path: Path,
    task_queue: str,
) -> None:
    wake = await due_now(session, COUNT)
    sessions = session_factory(session.bind)  # type: ignore[arg-type]
    # Every enrollment is queued before any worker runs: the first worker wakes all 200 at once.
    await start_all(temporal_client, wake, task_queue)

    # A slow provider keeps requests in flight when the kill lands.
    with provider_stub(delay=0.05) as stub:
        env = worker_env(
            fresh_database_url,
            temporal_client.service_client.config.target_host,
            task_queue,
            ARCADENCE_EMAIL_CHANNEL="sendgrid",
            ARCADENCE_SENDGRID_API_KEY="SG.fault-test",
            ARCADENCE_SENDGRID_BASE_URL=stub.url,
        )
        first = await start_worker(workers, env, tmp_path / "worker-1.log")
        deadline = asyncio.get_running_loop().time() + 120
        while stub.accepted_total < COUNT // 3:
            assert asyncio.get_running_loop().time() < deadline, (tmp_path / "worker-1.log").read_text()
            await asyncio.sleep(0.01)
        first.kill()
        await first.process.wait()  # type: ignore[union-attr]
        at_kill = {"accepted": stub.accepted_total, **await delivery_counts(sessions)}

        await start_worker(workers, env, tmp_path / "worker-2.log")
        counts = await wait_until_settled(sessions, COUNT, timeout=240)
        await wait_for_history(sessions, ("message_sent", "message_not_sent"), COUNT, timeout=60)
        await asyncio.sleep(1)  # a late duplicate would show up here

        async with sessions() as s:
            deliveries = list((await s.exec(select(Delivery))).all())
            tasks = list((await s.exec(select(Task))).all())
        requests_per_delivery = {str(d.id): stub.accepted[str(d.id)] for d in deliveries}

    # One delivery per due step: nothing was lost, none was planned twice.
    assert len(deliveries) == COUNT
    assert len({d.enrollment_id for d in deliveries}) == COUNT
    # Nothing reached the provider twice.
    assert all(n <= 1 for n in requests_per_delivery.values())
    sent = [d for d in deliveries if d.status == "sent"]
    unknown = [d for d in deliveries if d.status == "unknown"]
    assert len(sent) + len(unknown) == COUNT
    # Every delivery marked sent reached the provider exactly once.
    assert all(requests_per_delivery[str(d.id)] == 1 for d in sent)
    # The window: claimed by the killed worker, not marked. Never re-sent; a person checks each one.
    in_window_sent = sum(requests_per_delivery[str(d.id)] for d in unknown)
    assert {t.idempotency_key for t in tasks} >= {f"unknown:{d.id}" for d in unknown}
    # The window is bounded by what was in flight at the kill (the worker's activity slots).
    assert len(unknown) <= 100
    # Every step was recorded in its customer's history, once: sent, or not sent and why.
    async with sessions() as s:
        recorded = list(
            (
                await s.exec(
                    select(HistoryEntry.enrollment_id).where(
                        col(HistoryEntry.action).in_(("message_sent", "message_not_sent"))
                    )
                )
            ).all()
        )
    assert sorted(r or 0 for r in recorded) == sorted(d.enrollment_id or 0 for d in deliveries)
    report(
        "worker_sigkill",
        enrollments=COUNT,
        accepted_before_kill=at_kill["accepted"],
        rows_at_kill=at_kill,
        sent_once=len(sent),
        window_unknown=len(unknown),
        window_reached_provider=in_window_sent,
        window_never_sent=len(unknown) - in_window_sent,
        duplicates=sum(1 for n in requests_per_delivery.values() if n > 1),
        final=counts,
    )
