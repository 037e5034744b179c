"""A bulk enrollment job: thousands of customers enrolled in batches, with bounded concurrency,
progress visible in the UI and through the API, and an outcome per customer."""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows import policies

with workflow.unsafe.imports_passed_through():
    from activities.bulk import BulkActivities
    from workflows.bulk_enroll_types import (
        BATCH_SIZE,
        CONCURRENT_BATCHES,
        BulkBatch,
        BulkEnrollInput,
        BulkProgress,
        CustomerOutcome,
    )


@workflow.defn(name="BulkEnroll")
class BulkEnrollWorkflow:
    @workflow.init
    def __init__(self, input: BulkEnrollInput) -> None:
        self._input = input
        self._outcomes: dict[int, CustomerOutcome] = {}
        self._finished = False

    @workflow.query
    def progress(self, with_outcomes: bool = False) -> BulkProgress:
        counts: dict[str, int] = {}
        for outcome in self._outcomes.values():
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        return BulkProgress(
            job_id=self._input.job_id,
            definition_id=self._input.definition_id,
            total=len(self._input.customer_ids),
            done=len(self._outcomes),
            counts=counts,
            finished=self._finished,
            outcomes=list(self._outcomes.values()) if with_outcomes else [],
        )

    @workflow.run
    async def run(self, input: BulkEnrollInput) -> BulkProgress:
        ids = list(dict.fromkeys(input.customer_ids))
        batches = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
        slots = asyncio.Semaphore(CONCURRENT_BATCHES)

        async def run_batch(number: int, customer_ids: list[int]) -> None:
            async with slots:
                emails = {c: e for c, e in input.emails.items() if c in set(customer_ids)}
                results = await workflow.execute_activity_method(
                    BulkActivities.enroll_batch,
                    BulkBatch(
                        job_id=input.job_id,
                        definition_id=input.definition_id,
                        customer_ids=customer_ids,
                        actor=input.actor,
                        emails=emails,
                    ),
                    start_to_close_timeout=policies.BATCH_ATTEMPT,
                    retry_policy=policies.BATCH_RETRY,
                    summary=f"Batch {number + 1} of {len(batches)} ({len(customer_ids)} customers)",
                )
                for result in results:
                    self._outcomes[result.customer_id] = result
                self._report()

        self._report()
        await asyncio.gather(*(run_batch(n, b) for n, b in enumerate(batches)))
        self._finished = True
        self._report()
        return self.progress(with_outcomes=False)

    def _report(self) -> None:
        progress = self.progress()
        parts = ", ".join(f"{count} {name}" for name, count in sorted(progress.counts.items()))
        state = "Finished" if self._finished else "Enrolling"
        workflow.set_current_details(
            f"{state}: {progress.done} of {progress.total} customers ({parts or 'none yet'})"
        )
