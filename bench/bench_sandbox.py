"""Sandbox footprint: what the worker's workflow sandbox costs for each new or evicted
Enrollment workflow, against a trivial one-timer workflow (`BenchSleeper`) in the same run.

For every workflow run it does not hold in its cache, the worker asks its workflow runner for a
new sandboxed instance: a fresh module dictionary in which the workflow's module, and whatever
it imports that is not passed through, is executed again. Measured here, with the runner of
`workers.worker.build_worker`, called as the worker calls it (no Temporal server, no Postgres):

(a) the time to create one instance, and the modules executed afresh inside its sandbox;
(b) the memory one instance holds while it is kept, as the worker's cache keeps it (Python
    allocations traced by tracemalloc over `max_cached_workflows` instances kept alive).

The SDK's default runner (`SandboxedWorkflowRunner()`, nothing passed through beyond its own
defaults) is measured beside it for reference.

Each module executed afresh is loaded as this process loads modules: from its cached bytecode
if there is one, else compiled from source again for every instance (a checkout run with
PYTHONDONTWRITEBYTECODE=1 has none; the image has it, pip compiles what it installs). Both are
measured: first as this process runs, then with bytecode cached in a temporary directory. The
RATIO is the first, as the other benchmarks run. Target: an Enrollment instance costs at most
twice the trivial one's time.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import temporalio.converter
import temporalio.workflow
from temporalio.api.common.v1.message_pb2 import Payloads
from temporalio.api.failure.v1.message_pb2 import Failure
from temporalio.worker import WorkflowInstance
from temporalio.worker._workflow_instance import WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._restrictions import RestrictedModule
from temporalio.worker.workflow_sandbox._runner import _fake_info

from bench._baseline import SleeperWorkflow
from bench._report import figure, machine, median, parse_args, percentile, ratio_line, say
from models.settings import Settings
from workers.worker import workflow_runner
from workflows.enrollment import EnrollmentWorkflow

KIB = 1024


def details(workflow_class: type) -> WorkflowInstanceDetails:
    """What the worker hands its runner for a new run (the SDK's own placeholder info, as the
    worker uses when it validates a workflow at start-up)."""
    converter = temporalio.converter.DataConverter.default
    return WorkflowInstanceDetails(
        payload_converter_factory=converter._new_payload_converter,
        failure_converter_class=converter.failure_converter_class,
        interceptor_classes=[],
        defn=temporalio.workflow._Definition.must_from_class(workflow_class),
        info=_fake_info,
        randomness_seed=-1,
        extern_functions={},
        disable_eager_activity_execution=False,
        worker_level_failure_exception_types=[],
        patch_activation_callback=None,
        last_completion_result=Payloads(),
        last_failure=Failure(),
    )


def fresh_modules(instance: WorkflowInstance) -> list[str]:
    """Modules executed again inside this instance's sandbox: neither the worker's own module
    object (passed through) nor a restricting proxy of it (`datetime`, for instance)."""
    sandboxed: dict[str, Any] = getattr(instance, "importer").new_modules  # noqa: B009
    return sorted(
        name
        for name, module in sandboxed.items()
        if name != "__main__"
        and module is not sys.modules.get(name)
        and not isinstance(module, RestrictedModule)
    )


def instance_times(runner: SandboxedWorkflowRunner, det: WorkflowInstanceDetails, count: int) -> list[float]:
    """Seconds to create each of `count` instances (after a few to warm up)."""
    for _ in range(5):
        runner.create_instance(det)
    times: list[float] = []
    for _ in range(count):
        began = time.perf_counter()
        runner.create_instance(det)
        times.append(time.perf_counter() - began)
    return times


def held_per_instance(runner: SandboxedWorkflowRunner, det: WorkflowInstanceDetails, count: int) -> float:
    """Bytes of Python allocations each of `count` instances kept alive holds."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [runner.create_instance(det) for _ in range(count)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / count


def measure(
    label: str, runner: SandboxedWorkflowRunner, workflow_class: type, count: int, cached: int
) -> float:
    """Print one workflow's figures under one runner; returns the median seconds per instance."""
    det = details(workflow_class)
    fresh = fresh_modules(runner.create_instance(det))
    times = instance_times(runner, det, count)
    per = median(times)
    name = workflow_class.__name__
    figure(f"{label}: {name} instance, median of {count}", per * 1000, "ms")
    figure(f"{label}: {name} instance, p90", percentile(times, 90) * 1000, "ms")
    figure(f"{label}: {name} modules executed afresh per instance ({len(fresh)})", ", ".join(fresh))
    held = held_per_instance(runner, det, cached)
    figure(f"{label}: {name} memory held per cached instance ({cached} kept)", held / KIB, "KiB")
    return per


def bytecode_cached(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return Path(importlib.util.cache_from_source(spec.origin)).exists()


def measure_all(mode: str, count: int, cached: int) -> float:
    """Both workflows under the worker's runner and the SDK's; returns the worker's ratio."""
    say(f"{mode} (bytecode of workflows/enrollment.py cached: {bytecode_cached('workflows.enrollment')})")
    worker_runner = workflow_runner()
    baseline = measure("worker's runner", worker_runner, SleeperWorkflow, count, cached)
    enrollment = measure("worker's runner", worker_runner, EnrollmentWorkflow, count, cached)
    sdk_default = SandboxedWorkflowRunner()
    measure("SDK default runner", sdk_default, SleeperWorkflow, count, cached)
    measure("SDK default runner", sdk_default, EnrollmentWorkflow, count, cached)
    figure("Enrollment instance over the baseline's (worker's runner)", enrollment / baseline)
    return enrollment / baseline


async def main() -> None:
    args = parse_args(__doc__ or "")
    count = 100 if args.quick else 500
    cached = Settings().max_cached_workflows
    say(f"bench sandbox: {count} instances each, {cached} kept ({machine()})")
    # The worker creates its instances with an event loop running, as here.
    as_run = measure_all("modules loaded as this process loads them", count, cached)
    with tempfile.TemporaryDirectory(prefix="arcadence-bench-pyc-") as pycache:
        sys.pycache_prefix, sys.dont_write_bytecode = pycache, False
        for workflow_class in (SleeperWorkflow, EnrollmentWorkflow):
            workflow_runner().create_instance(details(workflow_class))  # writes their bytecode
        measure_all("modules loaded from cached bytecode (as in the image)", count, cached)
    ratio_line("sandbox_instance", as_run, "<=", 2.0)


if __name__ == "__main__":
    asyncio.run(main())
