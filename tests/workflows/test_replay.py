"""Saved histories of real runs replay against today's workflow code without divergence.

A change to the workflow that would break a running enrollment fails here; guard such
changes with `workflow.patched` (see docs/REPLAY.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workers.converter import DATA_CONVERTER
from workers.worker import WORKFLOWS, workflow_runner
from workflows.bulk_enroll import BulkEnrollWorkflow
from workflows.enrollment import EnrollmentWorkflow
from workflows.enrollment_types import EnrollmentInput

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_saved_histories_to_replay() -> None:
    assert len(HISTORIES) >= 5, "record them with: pytest tests/workflows --record-histories"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[EnrollmentWorkflow, BulkEnrollWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_saved_histories_replay_in_the_workers_own_sandbox_too() -> None:
    """The worker replays an evicted workflow with its runner (helpers passed through), not the
    SDK's default one the test above uses (helpers executed inside the sandbox)."""

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for path in HISTORIES:
            yield WorkflowHistory.from_json(path.stem, path.read_text())

    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER, workflow_runner=workflow_runner()
    )
    results = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    assert dict(results.replay_failures) == {}


@workflow.defn(name="Enrollment", sandboxed=False)
class EnrollmentWorkflowWithAnUnguardedChange(EnrollmentWorkflow):
    """Today's workflow plus one extra timer before planning, without `workflow.patched`."""

    @workflow.run
    async def run(self, input: EnrollmentInput) -> str:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


def test_every_path_of_the_workflows_has_a_saved_history() -> None:
    """Pause, reassign, continue-with, continue-as-new, a failed step, a refused send, bulk."""
    names = " ".join(p.stem for p in HISTORIES)
    for path in (
        "paused",
        "reassign",
        "continues_with_another",
        "continue_as_new",
        "template_error_fails_that_step",
        "refused_message",
        "interrupted_send_is_marked_unknown",
        "pause_in_postgres_whose_signal_was_lost",
        "bulk_enroll",
        "fires_its_automation",
        "none_workflow",
        "webhook",
        "cancels_the_enrollment",
        "moves_the_customer",
    ):
        assert path in names, f"no saved history for the {path!r} path"


async def test_an_unguarded_change_to_the_workflow_is_caught_by_replay() -> None:
    # A run that plans at start (a bulk-enrolled one starts with a timer, as the change does).
    path = next(p for p in HISTORIES if p.stem.startswith("test_a_send_retried"))
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[EnrollmentWorkflowWithAnUnguardedChange], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()


async def test_a_run_an_older_worker_began_with_a_first_wake_still_replays_on_the_planning_path() -> None:
    """During a rolling deploy, an older worker may run the first task of a run the bulk job
    started with `first_wake`: it upserted and planned at start. Without the `first-wake` marker
    in its history, today's code replays it the same way."""
    path = next(p for p in HISTORIES if p.stem.startswith("test_a_send_retried"))
    recorded = json.loads(path.read_text())
    payload = recorded["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    started = json.loads(base64.b64decode(payload["data"]))
    started["first_wake"] = {"planned_at": "2026-12-01T14:00:00Z", "wake_at": None, "label": ""}
    payload["data"] = base64.b64encode(json.dumps(started).encode()).decode()
    history = WorkflowHistory.from_json(path.stem, json.dumps(recorded))
    replayer = Replayer(workflows=[EnrollmentWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
