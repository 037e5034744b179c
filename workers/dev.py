"""`arcadence dev`: the whole stack on one machine, from the wheels, with its data kept under
`.arcadence/` between runs. Ctrl-C stops every child."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
import uvicorn
from temporalio.client import Client

from activities.channels.factory import build_channels
from api.app import create_app
from models.db import SessionFactory, create_engine, session_factory
from models.migrate import upgrade
from models.repository import load_organization
from models.settings import Settings, child_environment
from services.sign_in_links import link_url
from workers.bootstrap import has_users, issue_sign_in_link
from workers.demo import seed_demo
from workers.embedded.ports import accepts_connections, port_is_free, wait_for_port
from workers.embedded.postgres import SYSTEM_USER, EmbeddedPostgres
from workers.embedded.temporal import temporal_cli_path
from workers.startup import StartupError, connect_temporal, log_tail, temporal_tls
from workers.temporal_setup import register_search_attributes
from workers.worker import CHILD_STOP_TIMEOUT, build_worker

log = structlog.get_logger("arcadence.dev")

DEMO_KEY_FILE = "demo-api-key.txt"


class PortTaken(StartupError):
    pass


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the dev stack stops every piece together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class DevStack:
    settings: Settings
    data_dir: Path
    seed: bool = True
    postgres: EmbeddedPostgres | None = None
    temporal_process: subprocess.Popen[bytes] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        # Children (Postgres, the Temporal CLI) run elsewhere than here: relative paths would move.
        if not self.data_dir.is_absolute():
            raise ValueError(f"the data directory must be absolute, not {self.data_dir}")

    @property
    def temporal_log(self) -> Path:
        return self.data_dir / "temporal.log"

    def check_ports(self) -> None:
        wanted = {"api": self.settings.api_port}
        if self.settings.database_url is None:
            wanted["postgres"] = self.settings.postgres_port
        if self.settings.temporal_address is None:
            wanted["temporal"] = self.settings.temporal_port
            wanted["temporal UI"] = self.settings.temporal_ui_port
        taken = [f"{name} port {port}" for name, port in wanted.items() if not port_is_free(port)]
        if taken:
            raise PortTaken(
                f"already in use: {', '.join(taken)}. Stop what uses them, or choose others with "
                "ARCADENCE_API_PORT, ARCADENCE_POSTGRES_PORT, ARCADENCE_TEMPORAL_PORT and "
                "ARCADENCE_TEMPORAL_UI_PORT."
            )

    def start_postgres(self) -> str:
        if self.settings.database_url is not None:
            return self.settings.database_url
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres", port=self.settings.postgres_port)
        return self.postgres.start()

    def start_temporal(self) -> str:
        if self.settings.temporal_address is not None:
            return self.settings.temporal_address
        with self.temporal_log.open("ab") as log_file:
            self.temporal_process = subprocess.Popen(
                [
                    str(temporal_cli_path()),
                    "server",
                    "start-dev",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(self.settings.temporal_port),
                    "--ui-port",
                    str(self.settings.temporal_ui_port),
                    "--db-filename",
                    str(self.data_dir / "temporal.db"),
                    "--namespace",
                    self.settings.temporal_namespace,
                    "--log-level",
                    "warn",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self._wait_for_temporal(timeout=60)
        return f"127.0.0.1:{self.settings.temporal_port}"

    def _wait_for_temporal(self, timeout: float) -> None:
        assert self.temporal_process is not None
        deadline = time.monotonic() + timeout
        while not accepts_connections(self.settings.temporal_port):
            code = self.temporal_process.poll()
            if code is not None:
                raise StartupError(
                    f"the Temporal dev server exited at start-up (exit code {code})",
                    log=self.temporal_log,
                    details=log_tail(self.temporal_log),
                )
            if time.monotonic() > deadline:
                raise StartupError(
                    f"the Temporal dev server did not listen on port {self.settings.temporal_port} "
                    f"within {timeout:.0f} s",
                    log=self.temporal_log,
                    details=log_tail(self.temporal_log),
                )
            time.sleep(0.1)

    def shutdown_children(self) -> None:
        if self.temporal_process is not None and self.temporal_process.poll() is None:
            self.temporal_process.terminate()
            try:
                self.temporal_process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.temporal_process.kill()
                self.temporal_process.wait()
        if self.postgres is not None:
            self.postgres.stop()

    async def run(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.check_ports()
        try:
            database_url = self.start_postgres()
            upgrade(database_url)
            temporal_address = self.start_temporal()
            client = await _connect(self.settings.model_copy(update={"temporal_address": temporal_address}))
            await register_search_attributes(client)
            await self._serve(database_url, client)
        finally:
            self.shutdown_children()

    async def _serve(self, database_url: str, client: Client) -> None:
        settings = self.settings.model_copy(update={"database_url": database_url})
        engine = create_engine(database_url, pool_size=settings.db_pool_size)
        sessions = session_factory(engine)
        try:
            key = await self._demo_key(settings, sessions, client)
            app = create_app(settings, sessions=sessions, temporal=client)
            config = uvicorn.Config(
                app, host=settings.api_host, port=settings.api_port, log_level="warning", lifespan="on"
            )
            server = _ApiServer(config)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop.set)
            async with contextlib.AsyncExitStack() as workers:
                waits: set[asyncio.Task[int]] = set()
                if settings.worker_processes == 1:
                    email, sms = build_channels(settings, sessions)
                    worker = build_worker(
                        client,
                        task_queue=settings.task_queue,
                        sessions=sessions,
                        email=email,
                        sms=sms,
                        settings=settings,
                    )
                    await workers.enter_async_context(worker)
                else:
                    target = client.service_client.config.target_host
                    waits.add(await workers.enter_async_context(_worker_processes(settings, target)))
                serving = asyncio.create_task(server.serve())
                await asyncio.to_thread(wait_for_port, settings.api_port, settings.api_host, 30.0)
                link = await issue_sign_in_link(sessions, key=key) if key else None
                self._banner(settings, key, link)
                stopping = asyncio.create_task(self.stop.wait())
                ends: set[asyncio.Future[Any]] = {serving, stopping, *waits}
                await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
                for exited in waits:
                    if exited.done():
                        _say(f"the worker processes stopped (exit code {exited.result()}); stopping.")
                server.should_exit = True
                await serving
                stopping.cancel()
            _say("arcadence stopped.")
        finally:
            await engine.dispose()

    async def _demo_key(self, settings: Settings, sessions: SessionFactory, client: Client) -> str | None:
        key_file = self.data_dir / DEMO_KEY_FILE
        if await has_users(sessions):
            return key_file.read_text().strip() if key_file.exists() else None
        if not self.seed:
            return None
        async with sessions() as session:
            org = await load_organization(session)
        today = datetime.now(UTC).astimezone(ZoneInfo(org.time_zone)).date()
        key = await seed_demo(settings, sessions, client, today=today)
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
        return key

    def _banner(self, settings: Settings, key: str | None, link: str | None = None) -> None:
        api = f"http://{settings.api_host}:{settings.api_port}"
        ui = (
            f"http://127.0.0.1:{settings.temporal_ui_port}"
            if settings.temporal_address is None
            else "(external)"
        )
        lines = [
            "",
            "arcadence is running",
            f"  Console        {api}/console  (sign in with the demo API key below)",
            *(
                [
                    f"  Sign-in link   {link_url(settings.console_address, link)}",
                    f"                 (signs you in once, within {settings.console_link_minutes} minutes)",
                ]
                if link
                else []
            ),
            f"  API            {api}",
            f"  API docs       {api}/docs",
            f"  Temporal UI    {ui}",
            f"  Data           {self.data_dir}",
            f"  Worker         {settings.worker_processes} process(es)",
        ]
        if self.postgres is not None and self.postgres.moved_to is not None:
            lines.append(
                f"  Postgres data  {self.postgres.moved_to} (the {SYSTEM_USER} system user that runs "
                f"Postgres cannot reach {self.data_dir}; {self.postgres.data_dir} links there)"
            )
        if key:
            lines += [
                f"  Demo API key   {key}",
                "",
                "Try:",
                f"  curl -s -H 'Authorization: Bearer {key}' '{api}/customers?limit=5'",
            ]
        lines += ["", "Press Ctrl-C to stop.", ""]
        _say("\n".join(lines))


@contextlib.asynccontextmanager
async def _worker_processes(settings: Settings, address: str) -> AsyncIterator[asyncio.Task[int]]:
    """ARCADENCE_WORKER_PROCESSES > 1: `arcadence worker` as a program of its own, which forks its
    children. This process already holds a Temporal runtime (its client, the API's), so it must not
    fork them itself. Yields what ends when that program exits; stopping sends it SIGTERM."""
    env = child_environment(
        {
            "ARCADENCE_DATABASE_URL": settings.database_url or "",
            "ARCADENCE_TEMPORAL_ADDRESS": address,
            "ARCADENCE_WORKER_PROCESSES": str(settings.worker_processes),
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workers.cli", "worker", env=env, start_new_session=True
    )
    exited = asyncio.create_task(process.wait())
    try:
        yield exited
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(exited), CHILD_STOP_TIMEOUT + 5)
        except TimeoutError:
            process.kill()
            await exited


def _say(text: str) -> None:
    """The dev stack's own output for the person at the terminal (logs go to stderr)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _connect(settings: Settings) -> Client:
    """The client every process uses (`connect_temporal`), retried while the dev server starts."""
    temporal_tls(settings)  # a bad certificate setting is said at once, not after the retries
    for _ in range(59):
        try:
            return await connect_temporal(settings)
        except StartupError:  # the dev server takes a moment to accept clients
            await asyncio.sleep(0.5)
    return await connect_temporal(settings)


async def run_dev(settings: Settings, data_dir: Path, *, seed: bool = True) -> None:
    await DevStack(settings=settings, data_dir=data_dir, seed=seed).run()
