"""A workflow that reads the wall clock, which the workflow sandbox must refuse (used by
tests/workers/test_workflow_sandbox.py; standard library and temporalio only, so the sandbox
imports it as cheaply as a workflow module)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ReadsTheWallClock")
class ReadsTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # the call the sandbox refuses
