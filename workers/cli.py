"""The `arcadence` command: run the processes and operate the system from a terminal."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Annotated

import structlog
import typer

from models.migrate import upgrade
from models.settings import get_settings
from workers.embedded.ports import port_is_free
from workers.embedded.postgres import EmbeddedPostgres
from workers.logs import configure_logging

app = typer.Typer(help="arcadence: collections cadences as durable Temporal workflows.", no_args_is_help=True)
log = structlog.get_logger("arcadence.cli")


@app.callback()
def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)


@app.command()
def migrate() -> None:
    """Apply the database migrations (ARCADENCE_DATABASE_URL)."""
    settings = get_settings()
    if settings.database_url is None:
        typer.echo("ARCADENCE_DATABASE_URL is not set", err=True)
        raise typer.Exit(2)
    upgrade(settings.database_url)
    typer.echo("database is at the latest migration")


@app.command()
def worker() -> None:
    """Run a Temporal worker for enrollments (ARCADENCE_TEMPORAL_ADDRESS, ARCADENCE_DATABASE_URL)."""
    import asyncio

    from workers.worker import run_worker

    settings = get_settings()
    missing = [
        name
        for name, value in (
            ("ARCADENCE_DATABASE_URL", settings.database_url),
            ("ARCADENCE_TEMPORAL_ADDRESS", settings.temporal_address),
        )
        if value is None
    ]
    if missing:
        typer.echo(f"{', '.join(missing)} must be set to run a worker", err=True)
        raise typer.Exit(2)
    asyncio.run(run_worker(settings))


@app.command()
def dev(
    data_dir: Annotated[Path | None, typer.Option(help="Where embedded data lives.")] = None,
) -> None:
    """Run the local stack: embedded Postgres (unless ARCADENCE_DATABASE_URL is set), migrated."""
    settings = get_settings()
    root = data_dir or settings.data_dir
    server: EmbeddedPostgres | None = None
    url = settings.database_url
    if url is None:
        if not port_is_free(settings.postgres_port):
            typer.echo(
                f"port {settings.postgres_port} is taken: set ARCADENCE_POSTGRES_PORT",
                err=True,
            )
            raise typer.Exit(1)
        server = EmbeddedPostgres(root.resolve() / "postgres", port=settings.postgres_port)
        url = server.start()
    try:
        upgrade(url)
        typer.echo(f"Postgres: {url}\nPress Ctrl-C to stop.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        if server is not None:
            server.stop()
            typer.echo("stopped")
