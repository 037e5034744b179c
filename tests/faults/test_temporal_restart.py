"""Restart the Temporal dev server (its state in a file) while enrollments sleep: the timers
still fire after it returns, and every reminder goes out once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from models import Delivery, OrganizationSettings
from models.db import session_factory
from tests.faults.conftest import (
    TemporalDevServer,
    WorkerProcess,
    due_now,
    report,
    start_all,
    start_worker,
    wait_for_history,
    wait_until_settled,
    worker_env,
)
from tests.faults.provider_stub import provider_stub
from workflows.enrollment import EnrollmentWorkflow

COUNT = 20


async def test_timers_fire_after_the_temporal_server_restarts(
    session: AsyncSession,
    fresh_database_url: str,
    temporal_server: TemporalDevServer,
    temporal_client: Client,
    workers: list[WorkerProcess],
    tmp_path: Path,
    task_queue: str,
) -> None:
    wake = await due_now(session, COUNT)
    # The send time moves to the next whole minute (at least 25 s away): the enrollments sleep.
    now = datetime.now(UTC).astimezone(wake.zone)
    fire = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (fire - now).total_seconds() < 25:
        fire += timedelta(minutes=1)
    org = (await session.exec(select(OrganizationSettings))).one()
    org.send_time = time(fire.hour, fire.minute)
    session.add(org)
    await session.commit()
    sessions = session_factory(session.bind)  # type: ignore[arg-type]

    with provider_stub() as stub:
        env = worker_env(
            fresh_database_url,
            temporal_server.address,
            task_queue,
            ARCADENCE_EMAIL_CHANNEL="sendgrid",
            ARCADENCE_SENDGRID_API_KEY="SG.fault-test",
            ARCADENCE_SENDGRID_BASE_URL=stub.url,
        )
        await start_worker(workers, env, tmp_path / "worker.log")
        await start_all(temporal_client, wake, task_queue)
        handles = [temporal_client.get_workflow_handle(f"enrollment-{e.id}") for e in wake.enrollments]
        deadline = asyncio.get_running_loop().time() + 30
        for handle in handles:
            while not (await handle.query(EnrollmentWorkflow.status)).details.startswith("Waiting until"):
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.1)
        assert stub.accepted_total == 0

        # Down and up again while every enrollment sleeps; the worker stays up and reconnects.
        temporal_server.stop()
        down_at = datetime.now(UTC)
        await asyncio.sleep(3)
        temporal_server.start()
        restarted_in = (datetime.now(UTC) - down_at).total_seconds()
        assert datetime.now(UTC) < fire, "the restart outlasted the sleep: the test proves nothing"

        counts = await wait_until_settled(sessions, COUNT, timeout=150, settled=("sent",))
        await wait_for_history(sessions, ("message_sent",), COUNT, timeout=60)
        async with sessions() as s:
            deliveries = list((await s.exec(select(Delivery))).all())
        first_send = min(d.sent_at for d in deliveries if d.sent_at is not None)

    assert counts == {"sent": COUNT}
    assert all(stub.accepted[str(d.id)] == 1 for d in deliveries)
    assert stub.accepted_total == COUNT
    lateness = (datetime.now(UTC) - fire).total_seconds()
    report(
        "temporal_restart",
        enrollments=COUNT,
        server_down_s=round(restarted_in, 1),
        first_send_after_send_time_s=round((first_send - fire).total_seconds(), 1),
        all_settled_after_send_time_s=round(lateness, 1),
        duplicates=sum(1 for n in stub.accepted.values() if n > 1),
    )
