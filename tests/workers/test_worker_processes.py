"""`arcadence worker --processes 2` as real processes: both children poll the task queue and run
enrollments, and SIGTERM to the parent stops every child and exits 0."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from asyncio.subprocess import Process
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
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


def _children_of(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(part) for part in text.split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _poller_pids(client: Client, task_queue: str) -> set[int]:
    """The pids (identities are pid@host) polling the task queue for workflow tasks."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return {int(poller.identity.partition("@")[0]) for poller in response.pollers}


async def _start_two_workers(client: Client, database_url: str, task_queue: str) -> Process:
    """`arcadence worker --processes 2` against the test's Temporal server and database."""
    env = {
        **os.environ,
        "ARCADENCE_DATABASE_URL": database_url,
        "ARCADENCE_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "ARCADENCE_TASK_QUEUE": task_queue,
    }
    env.pop("ARCADENCE_METRICS_PORT", None)
    command = [str(Path(sys.executable).parent / "arcadence"), "worker", "--processes", "2"]
    return await asyncio.create_subprocess_exec(
        *command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


async def test_two_worker_processes_both_poll_run_enrollments_and_all_stop_on_sigterm(
    dev_server_env: WorkflowEnvironment, fresh_database_url: str, session: AsyncSession, task_queue: str
) -> None:
    client = dev_server_env.client
    await make_org(session)
    today = (await dev_server_env.get_current_time()).astimezone(NY).date()
    definition = await make_definition(session, steps=[{"offset_days": 0, "action": "customer_email"}])
    inputs = []
    for _ in range(4):
        customer = await make_customer(session)
        await make_contact(session, customer)
        await make_invoice(session, customer, due_date=today + timedelta(days=20))
        enrollment = await make_enrollment(session, customer, definition, anchor_date=today)
        inputs.append(
            EnrollmentInput(
                enrollment_id=enrollment.id,
                customer_id=customer.id,
                definition_id=definition.id,
                customer_name="Globex Corp",
            )
        )
    await session.commit()

    process = await _start_two_workers(client, fresh_database_url, task_queue)
    children: set[int] = set()
    try:
        pollers: set[int] = set()
        for _ in range(300):
            children = _children_of(process.pid)
            pollers = await _poller_pids(client, task_queue)
            if len(children) == 2 and children <= pollers:
                break
            await asyncio.sleep(0.1)
        assert len(children) == 2
        assert children <= pollers, f"children {children}, pollers {pollers}"

        handles = [
            await enroll(client, item, actor="ops@acme.example", task_queue=task_queue) for item in inputs
        ]
        for handle in handles:
            status = None
            for _ in range(300):
                status = await handle.query(EnrollmentWorkflow.status)
                if status.details.startswith("Waiting until"):
                    break
                await asyncio.sleep(0.1)
            assert status is not None and status.details.startswith("Waiting until")
        for handle in handles:
            await handle.terminate("test finished")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    assert output.count(b"worker.stopped") == 2, output.decode()
    assert not [pid for pid in children if _alive(pid)], "a worker child outlived its parent"


async def test_a_worker_process_that_dies_stops_the_others_and_fails_the_parent(
    dev_server_env: WorkflowEnvironment, fresh_database_url: str, task_queue: str
) -> None:
    process = await _start_two_workers(dev_server_env.client, fresh_database_url, task_queue)
    children: set[int] = set()
    try:
        for _ in range(300):
            children = _children_of(process.pid)
            if len(children) == 2 and children <= await _poller_pids(dev_server_env.client, task_queue):
                break
            await asyncio.sleep(0.1)
        assert len(children) == 2
        os.kill(min(children), signal.SIGKILL)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1, output.decode()
    assert output.count(b"worker.process_died") == 1, output.decode()
    assert output.count(b"worker.stopped") == 1, output.decode()
    assert not [pid for pid in children if _alive(pid)], "a worker child outlived its parent"


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for child in _children_of(pid):
        found |= {child, *_descendants(child)}
    return found


async def test_the_dev_stack_runs_the_worker_processes_asked_for_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("API", "POSTGRES", "TEMPORAL", "TEMPORAL_UI")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    env.update({f"ARCADENCE_{name}_PORT": str(port) for name, port in ports.items()})
    env["ARCADENCE_WORKER_PROCESSES"] = "2"
    command = [str(Path(sys.executable).parent / "arcadence"), "dev", "--data-dir", str(tmp_path / "data")]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    assert process.stdout is not None
    seen: list[bytes] = []
    workers: set[int] = set()
    try:
        while not seen or b"Press Ctrl-C to stop." not in seen[-1]:
            seen.append(await asyncio.wait_for(process.stdout.readline(), 120))
            assert seen[-1], b"".join(seen).decode()
        drain = asyncio.create_task(process.stdout.read())
        client = await Client.connect(f"127.0.0.1:{ports['TEMPORAL']}")
        pollers: set[int] = set()
        for _ in range(300):
            pollers = await _poller_pids(client, "arcadence")
            if len(pollers) == 2:
                break
            await asyncio.sleep(0.1)
        workers = _descendants(process.pid)
        assert len(pollers) == 2 and pollers <= workers and process.pid not in pollers
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=90)
        moved = tmp_path / "data" / "postgres"
        if moved.is_symlink():  # moved under /var/lib/arcadence (root, private temp folder)
            shutil.rmtree(moved.resolve(), ignore_errors=True)
    output = b"".join(seen) + await drain
    assert process.returncode == 0, output.decode()
    assert output.count(b"worker.stopped") == 2, output.decode()
    assert not [pid for pid in workers if _alive(pid)], "a process outlived the dev stack"
