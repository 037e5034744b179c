"""API under load: p50/p99 latency of an enrollment's timeline and a customer's history at 50
concurrent clients, against `/health` (no key, no database) in the same run, the API running as
`arcadence api` in a process of its own. Target: the slower endpoint's p50 within 10x /health's
(see BENCHMARKS.md for why p50 and why 10)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench._harness import (
    Services,
    local_today,
    seed_customers,
    seed_definition,
    seed_enrollments,
    seed_org,
    seed_owner_key,
    services,
)
from bench._report import figure, machine, parse_args, percentile, ratio_line, say
from models import HistoryEntry
from workers.embedded.ports import free_port, wait_for_port

CLIENTS = 50
HISTORY_ENTRIES = 200


def start_api(svc: Services, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARCADENCE_DATABASE_URL": svc.database_url,
        "ARCADENCE_TEMPORAL_ADDRESS": svc.temporal_address,
        "ARCADENCE_API_PORT": str(port),
        "ARCADENCE_LOG_LEVEL": "WARNING",
    }
    cli = Path(sys.executable).parent / "arcadence"
    return subprocess.Popen([str(cli), "api"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def seed(svc: Services) -> tuple[str, int, int]:
    """An owner key, one customer with 20 invoices and 200 history entries, one enrollment."""
    await seed_org(svc.sessions)
    key = await seed_owner_key(svc.sessions)
    [customer_id] = await seed_customers(svc.sessions, 1, invoices_each=20)
    definition_id = await seed_definition(
        svc.sessions,
        kind="invoice",
        conditions=[{"metric": "overdue", "operator": "gte", "value": "100"}],
        steps=[
            {"offset_days": -3, "action": "customer_email"},
            {"offset_days": 0, "action": "customer_email"},
            {"offset_days": 7, "action": "customer_email"},
            {"offset_days": 14, "action": "task"},
        ],
    )
    [enrollment_id] = await seed_enrollments(svc.sessions, [customer_id], definition_id, local_today())
    async with svc.sessions() as session:
        start = datetime.now(UTC) - timedelta(days=HISTORY_ENTRIES)
        for n in range(HISTORY_ENTRIES):
            session.add(
                HistoryEntry(
                    customer_id=customer_id,
                    enrollment_id=enrollment_id,
                    occurred_at=start + timedelta(days=n),
                    action="message_sent",
                    actor="arcadence",
                    description=f"Reminder {n} sent to ap@customer.example",
                    details={"conditions": "Overdue >= 100.00 USD (was 1,200.00 USD)"},
                )
            )
        await session.commit()
    return key, customer_id, enrollment_id


async def hammer(http: httpx.AsyncClient, path: str, seconds: float) -> list[float]:
    """CLIENTS concurrent clients, each sending the next request as soon as the last answered."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            response = await http.get(path)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies


async def main() -> None:
    args = parse_args(__doc__ or "")
    seconds = 5.0 if args.quick else 20.0
    say(f"bench api_load: {CLIENTS} concurrent clients, {seconds:g}s per endpoint ({machine()})")
    results: dict[str, list[float]] = {}
    async with services("dev") as svc:
        key, customer_id, enrollment_id = await seed(svc)
        port = free_port()
        api = start_api(svc, port)
        try:
            await asyncio.to_thread(wait_for_port, port, "127.0.0.1", 60.0)
            limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {key}"},
                limits=limits,
                timeout=60,
            ) as http:
                paths = {
                    "health": "/health",
                    "timeline": f"/enrollments/{enrollment_id}/timeline",
                    "history": f"/customers/{customer_id}/history",
                }
                for name, path in paths.items():
                    await hammer(http, path, 1.0)  # warm-up: connections, caches
                    results[name] = await hammer(http, path, seconds)
        finally:
            api.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(api.wait, 30)
            except subprocess.TimeoutExpired:
                api.kill()

    for name, latencies in results.items():
        figure(
            f"{name}",
            f"{len(latencies) / seconds:.0f} req/s, p50 {percentile(latencies, 50) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.1f} ms ({len(latencies)} requests)",
        )
    health_p50 = percentile(results["health"], 50)
    health_p99 = percentile(results["health"], 99)
    for name in ("timeline", "history"):
        figure(
            f"{name} / health",
            f"p50 {percentile(results[name], 50) / health_p50:.1f}x, "
            f"p99 {percentile(results[name], 99) / health_p99:.1f}x",
        )
    worst = max(percentile(results[name], 50) for name in ("timeline", "history"))
    ratio_line("api_load", worst / health_p50, "<=", 10.0)


if __name__ == "__main__":
    asyncio.run(main())
