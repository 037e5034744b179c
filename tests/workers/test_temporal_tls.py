"""A secured Temporal (TLS only, client certificate required): the worker and the API connect
with the ARCADENCE_TEMPORAL_TLS_* settings, and say in one line why they cannot without them.

The dev server sits behind `tls_proxy.TlsProxy` (a throw-away CA made here); the processes are
the real `arcadence worker` and `arcadence api`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.testing import WorkflowEnvironment

from models.settings import Settings
from tests.workers.tls_proxy import Authority, TlsProxy
from workers.embedded.ports import free_port
from workers.startup import StartupError, connect_temporal

ARCADENCE = Path(sys.executable).parent / "arcadence"


@pytest_asyncio.fixture
async def proxy(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[TlsProxy]:
    upstream = dev_server_env.client.service_client.config.target_host
    async with TlsProxy(upstream=upstream, ca=Authority("arcadence test CA"), folder=tmp_path) as running:
        yield running


def _tls_env(proxy: TlsProxy, folder: Path, *, with_client_cert: bool = True) -> dict[str, str]:
    cert, key = proxy.ca.issue("arcadence-worker", server=False).write(folder, "client")
    env = {
        "ARCADENCE_TEMPORAL_ADDRESS": proxy.address,
        "ARCADENCE_TEMPORAL_TLS": "true",
        "ARCADENCE_TEMPORAL_TLS_SERVER_CA": str(folder / "proxy-ca.crt"),
        "ARCADENCE_TEMPORAL_TLS_SERVER_NAME": proxy.server_name,
    }
    if with_client_cert:
        env |= {
            "ARCADENCE_TEMPORAL_TLS_CLIENT_CERT": str(cert),
            "ARCADENCE_TEMPORAL_TLS_CLIENT_KEY": str(key),
        }
    return env


def _base_env(database_url: str, task_queue: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    return clean | {"ARCADENCE_DATABASE_URL": database_url, "ARCADENCE_TASK_QUEUE": task_queue}


async def _fails_in_one_line(*args: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        str(ARCADENCE), *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    said = err.decode()
    assert process.returncode == 1, out.decode() + said
    assert "Traceback" not in said + out.decode()
    lines = said.splitlines()
    assert len(lines) == 1, said
    assert lines[0].startswith("arcadence: ")
    return lines[0]


async def _pollers(env: WorkflowEnvironment, task_queue: str) -> int:
    described = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(namespace=env.client.namespace, task_queue=TaskQueue(name=task_queue))
    )
    return len(described.pollers)


async def test_a_worker_connects_through_a_tls_only_cluster_with_its_client_certificate(
    proxy: TlsProxy,
    dev_server_env: WorkflowEnvironment,
    fresh_database_url: str,
    task_queue: str,
    tmp_path: Path,
) -> None:
    env = _base_env(fresh_database_url, task_queue) | _tls_env(proxy, tmp_path)
    process = await asyncio.create_subprocess_exec(
        str(ARCADENCE), "worker", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(300):
            if await _pollers(dev_server_env, task_queue) > 0 or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert await _pollers(dev_server_env, task_queue) > 0  # it polls, through the proxy only
        assert proxy.handshakes > 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    assert b"worker.started" in output


async def test_the_api_connects_through_a_tls_only_cluster_with_its_client_certificate(
    proxy: TlsProxy, fresh_database_url: str, task_queue: str, tmp_path: Path
) -> None:
    port = free_port()
    env = _base_env(fresh_database_url, task_queue) | _tls_env(proxy, tmp_path)
    env |= {"ARCADENCE_API_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        str(ARCADENCE), "api", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        status = None
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    status = (await http.get(f"http://127.0.0.1:{port}/health")).status_code
                    break
                except httpx.TransportError:
                    if process.returncode is not None:
                        break
                    await asyncio.sleep(0.1)
        assert status == 200
        assert proxy.handshakes >= 2  # the start-up check, then the app's own client
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert b"Traceback" not in output, output.decode()


async def test_without_a_client_certificate_the_worker_and_the_api_say_so_in_one_line(
    proxy: TlsProxy, fresh_database_url: str, task_queue: str, tmp_path: Path
) -> None:
    env = _base_env(fresh_database_url, task_queue) | _tls_env(proxy, tmp_path, with_client_cert=False)
    for command in ("worker", "api"):
        line = await _fails_in_one_line(command, env=env | {"ARCADENCE_API_PORT": str(free_port())})
        assert f"cannot reach Temporal at {proxy.address}" in line, line
        assert "TLS on" in line and "ARCADENCE_TEMPORAL_TLS_" in line, line


async def test_a_server_certificate_from_another_ca_is_refused_in_one_line(
    proxy: TlsProxy, fresh_database_url: str, task_queue: str, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    other.write_bytes(Authority("not the cluster's CA").cert_pem)
    env = _base_env(fresh_database_url, task_queue) | _tls_env(proxy, tmp_path)
    env["ARCADENCE_TEMPORAL_TLS_SERVER_CA"] = str(other)
    line = await _fails_in_one_line("worker", env=env)
    assert f"cannot reach Temporal at {proxy.address}" in line and "TLS on" in line, line
    assert proxy.handshakes == 0


async def test_a_missing_or_bad_certificate_file_names_its_variable_in_one_line(
    proxy: TlsProxy, fresh_database_url: str, task_queue: str, tmp_path: Path
) -> None:
    env = _base_env(fresh_database_url, task_queue) | _tls_env(proxy, tmp_path)
    missing = tmp_path / "nowhere.crt"
    line = await _fails_in_one_line("worker", env=env | {"ARCADENCE_TEMPORAL_TLS_CLIENT_CERT": str(missing)})
    assert line.startswith(f"arcadence: ARCADENCE_TEMPORAL_TLS_CLIENT_CERT: cannot read {missing}"), line
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    line = await _fails_in_one_line("worker", env=env | {"ARCADENCE_TEMPORAL_TLS_CLIENT_KEY": str(garbage)})
    assert (
        line
        == f"arcadence: ARCADENCE_TEMPORAL_TLS_CLIENT_KEY: {garbage} is not an unencrypted PEM private key"
    )
    del env["ARCADENCE_TEMPORAL_TLS_CLIENT_KEY"]
    line = await _fails_in_one_line("worker", env=env)
    assert "ARCADENCE_TEMPORAL_TLS_CLIENT_CERT is set without ARCADENCE_TEMPORAL_TLS_CLIENT_KEY" in line


async def test_the_api_key_and_pem_values_from_the_settings_reach_the_client(proxy: TlsProxy) -> None:
    """What is proven: the key set in ARCADENCE_TEMPORAL_API_KEY is the one `Client.connect` was
    given (the client sends it as `authorization: Bearer`); the dev server does not check it."""
    client_cert = proxy.ca.issue("arcadence-api", server=False)
    settings = Settings(
        temporal_address=proxy.address,
        temporal_tls_server_ca=proxy.ca.cert_pem.decode(),
        temporal_tls_client_cert=client_cert.cert_pem.decode(),
        temporal_tls_client_key=client_cert.key_pem.decode(),
        temporal_tls_server_name=proxy.server_name,
        temporal_api_key="tcld-test-key-123",
    )
    client = await connect_temporal(settings)
    assert client.api_key == "tcld-test-key-123"
    assert client.service_client.config.api_key == "tcld-test-key-123"
    await client.workflow_service.get_system_info(GetSystemInfoRequest())
    assert proxy.handshakes > 0


async def test_tls_is_off_unless_asked_for_and_on_when_anything_only_tls_carries_is_set() -> None:
    assert not Settings(temporal_address="localhost:7233").temporal_uses_tls
    assert not Settings(temporal_address="localhost:7233", temporal_api_key="").temporal_uses_tls
    assert Settings(temporal_api_key="key").temporal_uses_tls
    assert Settings(temporal_tls=True).temporal_uses_tls
    with pytest.raises(StartupError, match="ARCADENCE_TEMPORAL_TLS_SERVER_CA: cannot read"):
        await connect_temporal(
            Settings(temporal_address="localhost:7233", temporal_tls_server_ca="/no/such/ca.pem")
        )
