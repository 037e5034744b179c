"""The whole stack as `make dev` runs it: a reminder enrolled through the API reaches the outbox
at the organization's send time, Temporal lists it by customer, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
from temporalio.client import Client

from workers.embedded.ports import free_port

NY = ZoneInfo("America/New_York")


async def _read_until(stream: asyncio.StreamReader, marker: str, timeout: float) -> str:
    seen: list[str] = []

    async def read() -> str:
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise RuntimeError("the stack exited early:\n" + "".join(seen[-40:]))
            seen.append(line)
            if marker in line:
                return "".join(seen)

    return await asyncio.wait_for(read(), timeout)


def _leftovers(data_dir: Path) -> list[str]:
    result = subprocess.run(["pgrep", "-af", str(data_dir)], capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if "pgrep" not in line]


async def test_dev_stack_sends_a_reminder_at_the_next_minute_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("API", "POSTGRES", "TEMPORAL", "TEMPORAL_UI")}
    data_dir = tmp_path / ".arcadence"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    env.update({f"ARCADENCE_{name}_PORT": str(port) for name, port in ports.items()})
    executable = Path(sys.executable).parent / "arcadence"
    process = await asyncio.create_subprocess_exec(
        str(executable), "dev", "--data-dir", str(data_dir),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdout is not None
    drain: asyncio.Task[bytes] | None = None
    finished = False
    try:
        await _read_until(process.stdout, "Press Ctrl-C to stop.", timeout=120)
        drain = asyncio.create_task(process.stdout.read())  # keep the pipe flowing
        key = (data_dir / "demo-api-key.txt").read_text().strip()
        api = f"http://127.0.0.1:{ports['API']}"
        async with httpx.AsyncClient(
            base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            now = datetime.now(UTC).astimezone(NY)
            fire = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
            if (fire - now).total_seconds() < 20:
                fire += timedelta(minutes=1)
            offset = (fire.date() - now.date()).days
            settings = (await http.get("/settings")).json()
            update = {
                k: settings[k]
                for k in ("name", "sender_name", "sender_email", "reply_to", "default_definition_id")
            }
            update.update(
                {
                    "time_zone": "America/New_York",
                    "send_time": fire.strftime("%H:%M"),
                    "business_days_only": False,
                }
            )
            assert (await http.put("/settings", json=update)).status_code == 200
            definition = await http.post(
                "/workflows",
                json={
                    "name": "Next minute",
                    "kind": "assignment",
                    "steps": [
                        {
                            "offset_days": offset,
                            "action": "customer_email",
                            "parameters": {"template": "customer_statement"},
                        }
                    ],
                },
            )
            assert definition.status_code == 201, definition.text
            customer = await http.post(
                "/customers",
                json={
                    "external_id": "E2E-1",
                    "name": "End To End Ltd",
                    "contacts": [{"name": "AP", "email": "ap@e2e.example"}],
                },
            )
            assert customer.status_code == 201, customer.text
            customer_id = customer.json()["id"]
            # A statement goes only to a customer who owes something (nothing owed, nothing sent).
            today = datetime.now(UTC).astimezone(NY).date()
            invoices = await http.post(
                "/invoices/batch",
                json={
                    "invoices": [
                        {
                            "external_id": "E2E-INV-1",
                            "customer_external_id": "E2E-1",
                            "number": "E2E-INV-1",
                            "total": "250.00",
                            "balance_due": "250.00",
                            "issue_date": str(today - timedelta(days=20)),
                            "due_date": str(today + timedelta(days=10)),
                        }
                    ]
                },
            )
            assert invoices.status_code == 200, invoices.text
            enrolled = await http.post(
                f"/customers/{customer_id}/enrollment", json={"definition_id": definition.json()["id"]}
            )
            assert enrolled.status_code == 201, enrolled.text
            enrollment_id = enrolled.json()["id"]

            database = f"postgresql://postgres@127.0.0.1:{ports['POSTGRES']}/arcadence"
            outbox: list[tuple[str, list[str]]] = []
            for _ in range(180):
                with psycopg.connect(database) as connection:
                    outbox = connection.execute(
                        "SELECT o.subject, o.to_addresses FROM outbox_message o "
                        "JOIN delivery d ON d.id = o.delivery_id WHERE d.customer_id = %s",
                        (customer_id,),
                    ).fetchall()
                if outbox:
                    break
                await asyncio.sleep(1)
            assert len(outbox) == 1 and outbox[0][1] == ["ap@e2e.example"]
            # The send is recorded in the history just after the outbox row is written.
            actions: list[str] = []
            for _ in range(30):
                history = (await http.get(f"/customers/{customer_id}/history")).json()["items"]
                actions = [h["action"] for h in history]
                if "message_sent" in actions:
                    break
                await asyncio.sleep(0.5)
            assert "message_sent" in actions

        client = await Client.connect(f"127.0.0.1:{ports['TEMPORAL']}")
        listed = []
        for _ in range(30):
            listed = [w.id async for w in client.list_workflows(f'CustomerId="{customer_id}"')]
            if listed:
                break
            await asyncio.sleep(1)
        assert listed == [f"enrollment-{enrollment_id}"]
        finished = True
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), timeout=60)
        if drain is not None:
            await drain
        if not finished:
            _delete_moved_cluster(data_dir)  # a failed run leaves nothing under /var/lib/arcadence
    moved = data_dir / "postgres"
    try:
        assert process.returncode == 0
        assert _leftovers(data_dir) == [] and _leftovers(moved.resolve()) == []
    finally:
        _delete_moved_cluster(data_dir)


def _delete_moved_cluster(data_dir: Path) -> None:
    moved = data_dir / "postgres"
    if moved.is_symlink():  # moved under /var/lib/arcadence (root, private temp folder)
        shutil.rmtree(moved.resolve(), ignore_errors=True)
