"""`arcadence worker` as a real process: it runs enrollments, exports metrics, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from tests.builders import (
    make_contact,
    make_customer,
    make_definition,
    make_enrollment,
    make_invoice,
    make_org,
)
from workers.embedded.ports import free_port
from workflows.client import enroll
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import EnrollmentInput

NY = ZoneInfo("America/New_York")


async def test_the_worker_process_runs_an_enrollment_and_stops_on_sigterm(
    dev_server_env: WorkflowEnvironment, fresh_database_url: str, session: AsyncSession, task_queue: str
) -> None:
    client = dev_server_env.client
    await make_org(session)
    customer = await make_customer(session)
    await make_contact(session, customer)
    today = (await dev_server_env.get_current_time()).astimezone(NY).date()
    await make_invoice(session, customer, due_date=today + timedelta(days=20))
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
    await session.commit()

    metrics_port = free_port()
    env = {
        **os.environ,
        "ARCADENCE_DATABASE_URL": fresh_database_url,
        "ARCADENCE_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "ARCADENCE_TASK_QUEUE": task_queue,
        "ARCADENCE_METRICS_PORT": str(metrics_port),
    }
    executable = Path(sys.executable).parent / "arcadence"
    process = await asyncio.create_subprocess_exec(
        str(executable), "worker", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        handle = await enroll(
            client,
            EnrollmentInput(
                enrollment_id=enrollment.id,
                customer_id=customer.id,
                definition_id=definition.id,
                customer_name="Globex Corp",
            ),
            actor="ops@acme.example",
            task_queue=task_queue,
        )
        status = None
        for _ in range(200):
            status = await handle.query(EnrollmentWorkflow.status)
            if status.details.startswith("Waiting until"):
                break
            await asyncio.sleep(0.1)
        assert status is not None and status.details.startswith("Waiting until")
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        assert "temporal_" in metrics
        await handle.terminate("test finished")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    assert b"worker.stopped" in output
