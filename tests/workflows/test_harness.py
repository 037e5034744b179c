"""The real Temporal servers start from the installed wheels and run workflows."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker


@workflow.defn(sandboxed=False)
class SleepThirtyDays:
    @workflow.run
    async def run(self) -> str:
        started = workflow.now()
        await workflow.sleep(timedelta(days=30))
        return str((workflow.now() - started).days)


async def test_a_thirty_day_sleep_completes_at_once_under_time_skipping(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = time_skipping_env.client
    async with Worker(client, task_queue=task_queue, workflows=[SleepThirtyDays]):
        days = await client.execute_workflow(
            SleepThirtyDays.run,
            id=f"sleep-{task_queue}",
            task_queue=task_queue,
            execution_timeout=timedelta(days=60),
        )
    assert days == "30"


async def test_dev_server_runs_workflows_and_knows_our_search_attributes(
    dev_server_env: WorkflowEnvironment, task_queue: str
) -> None:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    client = dev_server_env.client
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    assert {"CustomerId", "DefinitionId", "EnrollmentState", "NextStepAt"} <= set(listed.custom_attributes)
    async with Worker(client, task_queue=task_queue, workflows=[SleepThirtyDays]):
        handle = await client.start_workflow(
            SleepThirtyDays.run, id=f"sleep-{task_queue}", task_queue=task_queue
        )
        description = await handle.describe()
    assert description.status is not None
