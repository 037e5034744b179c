"""The baselines: the cheapest Temporal workflows that do what an enrollment does at its core.

Standard library and temporalio only, so the workflow sandbox imports this module cheaply
(as it does `workflows/`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop() -> None:
    """Does nothing: the cost measured is Temporal's and the worker's, not the work's."""


@workflow.defn(name="BenchSleeper")
class SleeperWorkflow:
    """Starts, then sleeps for a long time (an enrollment waiting for its next step)."""

    @workflow.run
    async def run(self, days: int) -> None:
        await workflow.sleep(timedelta(days=days))


@workflow.defn(name="BenchWaker")
class WakerWorkflow:
    """Sleeps until an instant, then runs one no-op activity (an enrollment's step, minus the work)."""

    @workflow.run
    async def run(self, until: datetime) -> None:
        delay = until - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn(name="BenchStepper")
class StepperWorkflow:
    """`steps` times: sleep `days`, then one no-op activity (a recurring cadence, minus the work)."""

    @workflow.run
    async def run(self, steps: int, days: int) -> None:
        for _ in range(steps):
            await workflow.sleep(timedelta(days=days))
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))
