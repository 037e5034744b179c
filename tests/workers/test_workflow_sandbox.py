"""The worker's workflow sandbox: each new or evicted workflow executes only its own module
afresh (the helpers are passed through), the SDK's default sandbox that replays the saved
histories still runs the helpers restricted, and workflow code still cannot read the clock."""

from __future__ import annotations

import datetime as host_datetime
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError, SandboxedWorkflowRunner

from bench.bench_sandbox import details, fresh_modules
from tests.workers.clock_reading_workflow import ReadsTheWallClock
from workers.worker import WORKFLOW_HELPERS, WORKFLOWS, workflow_runner


@pytest.mark.parametrize("workflow_class", WORKFLOWS, ids=[w.__name__ for w in WORKFLOWS])
async def test_the_worker_executes_only_the_workflow_module_afresh_for_a_new_run(
    workflow_class: type,
) -> None:
    instance = workflow_runner().create_instance(details(workflow_class))
    assert fresh_modules(instance) == ["workflows", workflow_class.__module__]


def test_no_workflow_module_is_passed_through_by_the_worker() -> None:
    passed = workflow_runner().restrictions.passthrough_modules
    assert set(WORKFLOW_HELPERS) <= passed
    for workflow_class in WORKFLOWS:
        module = workflow_class.__module__
        parents = {module.rsplit(".", n)[0] for n in range(module.count(".") + 1)}
        assert not parents & passed, f"{module} would no longer be executed inside the sandbox"


async def test_the_default_sandbox_of_the_replay_tests_runs_the_helpers_restricted() -> None:
    instance = SandboxedWorkflowRunner().create_instance(details(WORKFLOWS[0]))
    assert set(WORKFLOW_HELPERS) <= set(fresh_modules(instance))
    sandboxed: dict[str, Any] = getattr(instance, "importer").new_modules  # noqa: B009
    # The helper's `datetime` is the sandbox's restricting proxy, not the worker's class.
    assert sandboxed["workflows.steps"].datetime is not host_datetime.datetime


async def test_a_workflow_under_the_workers_sandbox_still_cannot_read_the_wall_clock(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = time_skipping_env.client
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ReadsTheWallClock],
        workflow_runner=workflow_runner(),
        # Refused access fails the workflow instead of retrying its task forever.
        workflow_failure_exception_types=[RestrictedWorkflowAccessError],
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                ReadsTheWallClock.run, id=f"clock-{task_queue}", task_queue=task_queue
            )
    assert "Cannot access datetime.datetime.now" in str(failed.value.cause)
