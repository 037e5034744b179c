"""The Temporal worker process: runs enrollment workflows and their activities."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities.bulk import BulkActivities
from activities.channels.base import EmailChannel, SmsChannel
from activities.channels.factory import build_channels
from activities.documents import DocumentFetcher, parse_networks
from activities.planning import PlanningActivities
from activities.preparation import PreparationActivities
from activities.recording import RecordingActivities
from activities.sending import SendingActivities
from models.db import SessionFactory, engine_from_settings, session_factory
from models.settings import Settings
from workers.startup import check_database, connect_temporal
from workflows.bulk_enroll import BulkEnrollWorkflow
from workflows.enrollment import EnrollmentWorkflow

log = structlog.get_logger("arcadence.worker")

WORKFLOWS: Sequence[type] = (EnrollmentWorkflow, BulkEnrollWorkflow)


def activities_for(
    sessions: SessionFactory,
    email: EmailChannel,
    sms: SmsChannel,
    *,
    client: Client,
    settings: Settings,
    task_queue: str,
    documents: DocumentFetcher | None = None,
) -> list[Any]:
    """Every activity the workflows call, bound to their dependencies once."""
    bulk = BulkActivities(sessions, client, settings, task_queue)
    planning = PlanningActivities(sessions)
    preparation = PreparationActivities(sessions)
    sending = SendingActivities(sessions, email, sms, documents)
    recording = RecordingActivities(sessions)
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
        activities=activities_for(
            sessions, email, sms, client=client, settings=settings, task_queue=task_queue, documents=documents
        ),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def connect(settings: Settings, *, metrics: bool = False) -> Client:
    runtime = None
    if metrics and settings.metrics_port is not None:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"0.0.0.0:{settings.metrics_port}")
            )
        )
    return await connect_temporal(settings, runtime=runtime)


async def run_worker(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then finish in-flight work and stop."""
    await check_database(settings)
    client = await connect(settings, metrics=True)
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("worker.stopping")
    await engine.dispose()
    log.info("worker.stopped")
