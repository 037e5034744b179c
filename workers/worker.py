"""The Temporal worker process: runs enrollment workflows and their activities."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import timedelta
from multiprocessing.connection import wait as wait_for_any
from multiprocessing.process import BaseProcess
from typing import Any

import httpx
import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.approvals import ApprovalActivities
from activities.automations import AutomationActivities
from activities.bulk import BulkActivities
from activities.channels.base import EmailChannel, SmsChannel
from activities.channels.factory import build_channels
from activities.documents import DocumentFetcher, parse_networks
from activities.planning import PlanningActivities
from activities.preparation import PreparationActivities
from activities.promises import PromiseActivities
from activities.recording import RecordingActivities
from activities.sending import SendingActivities
from models.db import SessionFactory, engine_from_settings, session_factory
from models.settings import Settings
from workers.startup import StartupError, check_database, connect_temporal, leave_now
from workflows.bulk_enroll import BulkEnrollWorkflow
from workflows.enrollment import EnrollmentWorkflow
from workflows.promise import PromiseWorkflow

log = structlog.get_logger("arcadence.worker")

WORKFLOWS: Sequence[type] = (EnrollmentWorkflow, BulkEnrollWorkflow, PromiseWorkflow)

GRACEFUL_SHUTDOWN = timedelta(seconds=20)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


# The workflow helpers: stateless functions and constants the workflow classes call. The worker
# passes these modules through its sandbox, so each new or evicted workflow executes only its own
# module afresh (bench/bench_sandbox.py measures it). Each is named: a whole package passed
# through would take the workflow modules with it, and with them the sandbox's guard. The SDK's
# default sandbox, which the replay tests use, still runs the helpers inside it, restricted
# (tests/workers/test_workflow_sandbox.py checks both).
WORKFLOW_HELPERS = (
    "workflows.approvals",
    "workflows.automations",
    "workflows.deferrals",
    "workflows.endings",
    "workflows.policies",
    "workflows.steps",
    "workflows.timer",
    "workflows.wording",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox every workflow runs in: the SDK's default restrictions, helpers passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*WORKFLOW_HELPERS)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def activities_for(
    sessions: SessionFactory,
    email: EmailChannel,
    sms: SmsChannel,
    *,
    client: Client,
    settings: Settings,
    task_queue: str,
    documents: DocumentFetcher | None = None,
    webhooks: httpx.AsyncClient | None = None,
) -> list[Any]:
    """Every activity the workflows call, bound to their dependencies once. `webhooks` is the
    HTTP client of automations' webhook calls (tests give one that trusts their own CA)."""
    bulk = BulkActivities(sessions, client, settings, task_queue)
    planning = PlanningActivities(sessions)
    preparation = PreparationActivities(sessions)
    sending = SendingActivities(sessions, email, sms, documents)
    recording = RecordingActivities(sessions)
    automations = AutomationActivities(sessions, webhooks)
    approvals = ApprovalActivities(sessions)
    promises = PromiseActivities(sessions)
    return [
        bulk.enroll_batch,
        planning.plan,
        preparation.prepare,
        sending.send,
        sending.close_delivery,
        recording.record,
        recording.switch_definition,
        recording.finish,
        recording.save_next_step,
        automations.react,
        automations.apply,
        automations.call_webhook,
        automations.complete,
        automations.workflow_completed,
        approvals.request_approval,
        approvals.settle_approval,
        promises.settle_promise,
    ]


def build_worker(
    client: Client,
    *,
    task_queue: str,
    sessions: SessionFactory,
    email: EmailChannel,
    sms: SmsChannel,
    settings: Settings | None = None,
    documents: DocumentFetcher | None = None,
    webhooks: httpx.AsyncClient | None = None,
) -> Worker:
    """`documents` fetches invoice PDFs (by default: public addresses and the settings' allowed
    networks only)."""
    settings = settings or Settings()
    if documents is None:
        documents = DocumentFetcher(allowed_networks=parse_networks(settings.pdf_networks))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        workflow_runner=workflow_runner(),
        activities=activities_for(
            sessions,
            email,
            sms,
            client=client,
            settings=settings,
            task_queue=task_queue,
            documents=documents,
            webhooks=webhooks,
        ),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def connect(settings: Settings, *, metrics: bool = False, own_runtime: bool = False) -> Client:
    """`own_runtime`: a runtime of this process's own, never the default one (a forked child)."""
    runtime = None
    if metrics and settings.metrics_port is not None:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"0.0.0.0:{settings.metrics_port}")
            )
        )
    elif own_runtime:
        runtime = Runtime(telemetry=TelemetryConfig())
    return await connect_temporal(settings, runtime=runtime)


async def run_worker(settings: Settings, *, child: bool = False) -> None:
    """Run until SIGTERM or SIGINT, then finish in-flight work and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    # A worker child is forked with the stop signals blocked (see `run_processes`): one sent
    # before the handlers above existed is delivered now, and stops the worker once it started.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    await check_database(settings)
    client = await connect(settings, metrics=True, own_runtime=child)
    engine = engine_from_settings(settings)
    sessions = session_factory(engine)
    email, sms = build_channels(settings, sessions)
    worker = build_worker(
        client,
        task_queue=settings.task_queue,
        sessions=sessions,
        email=email,
        sms=sms,
        settings=settings,
    )
    log.info(
        "worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address, pid=os.getpid()
    )
    async with worker:
        await stop.wait()
        log.info("worker.stopping", pid=os.getpid())
    await engine.dispose()
    log.info("worker.stopped", pid=os.getpid())


# Several worker processes (`arcadence worker --processes N`). Workflow tasks are Python CPU work
# under one GIL, so one process uses one core; N forked children use N. Each child makes its own
# Temporal runtime and client, Postgres engine, pollers and slots (the max_concurrent_* settings
# are per process); the parent only supervises and never touches Temporal.

# Time a child has after SIGTERM before it is killed: the worker's graceful timeout and a margin.
CHILD_STOP_TIMEOUT = GRACEFUL_SHUTDOWN.total_seconds() + 10


def child_settings(settings: Settings, index: int) -> Settings:
    """Child `index`'s settings: the metrics port, when set, is the base port plus the index."""
    if settings.metrics_port is None or index == 0:
        return settings
    return settings.model_copy(update={"metrics_port": settings.metrics_port + index})


def _child_main(settings: Settings, index: int) -> None:
    """A forked worker child: its own runtime, client and engine, made here, after the fork."""
    code = 0
    try:
        asyncio.run(run_worker(child_settings(settings, index), child=True))
    except StartupError as err:
        sys.stderr.write(err.render() + "\n")
        code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    leave_now(code)


def run_processes(settings: Settings, count: int) -> int:
    """Fork `count` worker children and supervise them; the exit code of `arcadence worker`.

    SIGTERM or SIGINT stops every child (each finishes its in-flight work) and gives 0 when all
    stopped cleanly. A child that ends on its own is a failure: one log line, the others are
    stopped, and the code is 1 (a supervisor above, compose or systemd, restarts the whole).
    """
    # Nothing in this process may create a Temporal runtime: a forked child would inherit its
    # threads. Each child sets up its own (`connect` in `run_worker`).
    Runtime.prevent_default()  # type: ignore[no-untyped-call]
    context = multiprocessing.get_context("fork")
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        with contextlib.suppress(BlockingIOError):  # already woken
            os.write(wake_write, b"x")

    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    children: list[BaseProcess] = []
    try:
        for index in range(count):
            child: BaseProcess = context.Process(
                target=_child_main, args=(settings, index), name=f"arcadence-worker-{index}"
            )
            child.start()
            children.append(child)
        for sig in STOP_SIGNALS:
            signal.signal(sig, request_stop)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    log.info("worker.processes_started", processes=count, pids=[child.pid for child in children])

    failed: BaseProcess | None = None
    while not stopping:
        ready = wait_for_any([wake_read, *(child.sentinel for child in children)])
        ended = [child for child in children if child.sentinel in ready and child.exitcode is not None]
        if ended and not stopping:
            failed = ended[0]
            log.error(
                "worker.process_died",
                pid=failed.pid,
                process=children.index(failed),
                exit_code=failed.exitcode,
            )
            break

    log.info("worker.processes_stopping", processes=count)
    for child in children:
        if child.exitcode is None and child.pid is not None:
            os.kill(child.pid, signal.SIGTERM)
    clean = _wait_for_children(children, CHILD_STOP_TIMEOUT)
    os.close(wake_read)
    os.close(wake_write)
    log.info("worker.processes_stopped", exit_codes=[child.exitcode for child in children])
    return 0 if failed is None and clean else 1


def _wait_for_children(children: Sequence[BaseProcess], timeout: float) -> bool:
    """Wait for every child; kill the ones still running after `timeout`. True if all exited 0."""
    end = time.monotonic() + timeout
    for child in children:
        child.join(max(0.0, end - time.monotonic()))
    late = [child for child in children if child.exitcode is None]
    for child in late:
        log.error("worker.process_killed", pid=child.pid, after_seconds=timeout)
        child.kill()
        child.join()
    return not late and all(child.exitcode == 0 for child in children)
