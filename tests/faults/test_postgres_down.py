"""Stop Postgres for 15 s in the middle of a wake: activities retry, and once it is back every
step completes, each reminder sent once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from temporalio.client import Client

from models import Delivery
from models.db import create_engine, session_factory
from models.migrate import upgrade
from tests.faults.conftest import (
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
from workers.embedded.postgres import EmbeddedPostgres, throwaway_cluster

COUNT = 60
OUTAGE_S = 15


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """A Postgres of this test's own: stopping it must not touch the rest of the suite."""
    with throwaway_cluster("arcadence-pg-fault-") as server:
        server.start()
        upgrade(server.url)
        yield server


@pytest_asyncio.fixture
async def own_engine(own_postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_postgres.url, pool_size=4)
    yield engine
    await engine.dispose()


async def test_a_wake_survives_postgres_stopping_for_fifteen_seconds(
    own_postgres: EmbeddedPostgres,
    own_engine: AsyncEngine,
    temporal_client: Client,
    workers: list[WorkerProcess],
    tmp_path: Path,
    task_queue: str,
) -> None:
    sessions = session_factory(own_engine)
    async with sessions() as session:
        wake = await due_now(session, COUNT)
    await start_all(temporal_client, wake, task_queue)

    with provider_stub(delay=0.05) as stub:
        env = worker_env(
            own_postgres.url,
            temporal_client.service_client.config.target_host,
            task_queue,
            ARCADENCE_EMAIL_CHANNEL="sendgrid",
            ARCADENCE_SENDGRID_API_KEY="SG.fault-test",
            ARCADENCE_SENDGRID_BASE_URL=stub.url,
        )
        await start_worker(workers, env, tmp_path / "worker.log")
        deadline = asyncio.get_running_loop().time() + 120
        while stub.accepted_total < COUNT // 4:
            assert asyncio.get_running_loop().time() < deadline, (tmp_path / "worker.log").read_text()
            await asyncio.sleep(0.01)

        own_postgres.stop("fast")
        stopped_at = datetime.now(UTC)
        accepted_at_stop = stub.accepted_total
        await asyncio.sleep(OUTAGE_S)
        accepted_during_outage = stub.accepted_total - accepted_at_stop
        own_postgres.start()
        back_at = datetime.now(UTC)

        counts = await wait_until_settled(sessions, COUNT, timeout=240)
        await wait_for_history(sessions, ("message_sent", "message_not_sent"), COUNT, timeout=90)
        done_at = datetime.now(UTC)
        async with sessions() as s:
            deliveries = list((await s.exec(select(Delivery))).all())

    assert len(deliveries) == COUNT
    assert all(stub.accepted[str(d.id)] <= 1 for d in deliveries), "a reminder was sent twice"
    sent = [d for d in deliveries if d.status == "sent"]
    unknown = [d for d in deliveries if d.status == "unknown"]
    assert all(stub.accepted[str(d.id)] == 1 for d in sent)
    # A send the provider accepted holds on to write its mark until Postgres is back: every
    # reminder ends up sent, exactly once, with nothing left for a person to check.
    assert len(sent) == COUNT, [(d.id, d.status, d.last_error) for d in unknown]
    report(
        "postgres_outage",
        enrollments=COUNT,
        outage_s=round((back_at - stopped_at).total_seconds(), 1),
        sent_before_stop=accepted_at_stop,
        sent_during_outage=accepted_during_outage,
        sent_once=len(sent),
        window_unknown=len(unknown),
        recovered_in_s=round((done_at - back_at).total_seconds(), 1),
        final=counts,
    )
