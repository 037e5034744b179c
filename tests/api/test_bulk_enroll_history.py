"""A small bulk job whose history the replay test keeps (pytest --record-histories)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from domain.enums import Role
from tests.api.conftest import WORKFLOW, Api
from workflows.bulk_enroll_types import bulk_job_workflow_id

HISTORIES = Path(__file__).parents[1] / "workflows" / "histories"


async def test_a_small_bulk_job_enrolls_and_refuses_and_its_history_replays(
    api: Api, request: pytest.FixtureRequest
) -> None:
    workflow = await api.ok("POST", "/workflows", status=201, json=WORKFLOW)
    batch = [{"external_id": f"S-{i}", "name": f"Small {i}", "autopay": i == 2} for i in range(4)]
    synced = await api.ok("POST", "/customers/batch", json={"customers": batch})
    ids = [item["id"] for item in synced["items"]]
    job = await api.ok(
        "POST", "/enrollments/bulk", status=202, json={"definition_id": workflow["id"], "customer_ids": ids}
    )
    progress: dict[str, Any] = {}
    for _ in range(300):
        progress = await api.ok("GET", f"/enrollments/bulk/{job['job_id']}", Role.VIEWER)
        if progress["finished"]:
            break
        await asyncio.sleep(0.1)
    assert progress["counts"] == {"enrolled": 3, "refused": 1}
    if request.config.getoption("--record-histories"):
        handle = api.env.client.get_workflow_handle(bulk_job_workflow_id(job["job_id"]))
        history = await handle.fetch_history()
        (HISTORIES / "bulk_enroll_small_job_0.json").write_text(history.to_json())
