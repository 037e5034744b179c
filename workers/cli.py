"""The `arcadence` command: run the processes and operate the system from a terminal."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from models.migrate import upgrade
from models.settings import Settings, absolute_path, get_settings
from workers.logs import configure_logging
from workers.startup import StartupError, check_database, leave_now, settings_error


class _Cli(typer.Typer):
    """The `arcadence` command: a failure to start is one line on stderr and exit code 1."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except StartupError as err:
            sys.stderr.write(err.render() + "\n")
            # A failed Temporal connect leaves the core's native threads behind: finalizing the
            # interpreter with them can abort (SIGABRT, seen with a refused TLS handshake).
            leave_now(1)
        except OperationalError as err:  # Postgres went away under a command
            reason = str(err.orig or err).strip().splitlines()[0]
            sys.stderr.write(f"arcadence: Postgres refused the command: {reason}\n")
            sys.exit(1)


# No pretty tracebacks: they print local variables, settings and secrets among them.
app = _Cli(
    help="arcadence: collections cadences as durable Temporal workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
log = structlog.get_logger("arcadence.cli")


@app.callback()
def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as err:
        raise settings_error(err) from None
    configure_logging(settings.log_level, json=settings.log_json)


@app.command()
def migrate() -> None:
    """Apply the database migrations (ARCADENCE_DATABASE_URL)."""
    settings = get_settings()
    if settings.database_url is None:
        typer.echo("ARCADENCE_DATABASE_URL is not set", err=True)
        raise typer.Exit(2)
    asyncio.run(check_database(settings))
    upgrade(settings.database_url)
    typer.echo("database is at the latest migration")


@app.command()
def worker(
    processes: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Worker processes, one core each (default ARCADENCE_WORKER_PROCESSES, 1)."
        ),
    ] = None,
) -> None:
    """Run a Temporal worker for enrollments (ARCADENCE_TEMPORAL_ADDRESS, ARCADENCE_DATABASE_URL)."""
    from workers.worker import run_processes, run_worker

    settings = _require_services()
    count = processes if processes is not None else settings.worker_processes
    if count == 1:
        asyncio.run(run_worker(settings))
        leave_now()
    asyncio.run(check_database(settings))  # a wrong URL is one line here, not one per child
    leave_now(run_processes(settings, count))


@app.command()
def dev(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where embedded data lives (default .arcadence).")
    ] = None,
    seed: Annotated[bool, typer.Option(help="Seed a demo organization on first start.")] = True,
) -> None:
    """Run the whole stack locally: Postgres, Temporal (+ UI), the worker and the API."""
    from workers.dev import run_dev

    settings = get_settings()
    if settings.database_url is not None:
        asyncio.run(check_database(settings))
    asyncio.run(run_dev(settings, absolute_path(data_dir) if data_dir else settings.data_dir, seed=seed))
    leave_now()


@app.command()
def api() -> None:
    """Run the admin API (ARCADENCE_DATABASE_URL, ARCADENCE_TEMPORAL_ADDRESS)."""
    import uvicorn

    from api.app import create_app
    from workers.startup import connect_temporal

    settings = _require_services()
    asyncio.run(_preflight(settings))
    app = create_app(settings, connect=connect_temporal)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo organization (on an empty database) and print its API key."""
    from datetime import UTC, datetime

    from workers.demo import seed_demo
    from workers.operator import operator_state

    async def run() -> str:
        async with operator_state(_require_services()) as state:
            return await seed_demo(
                state.settings, state.sessions, state.temporal, today=datetime.now(UTC).date()
            )

    typer.echo(f"demo API key: {asyncio.run(run())}")


@app.command("create-owner")
def create_owner(email: str, name: str = "Owner") -> None:
    """Create the first user of a deployment and print an API key for it, then a one-time
    console sign-in link (ARCADENCE_CONSOLE_LINK_MINUTES)."""
    from models.db import engine_from_settings, session_factory
    from services.sign_in_links import link_url
    from workers.bootstrap import create_user_with_key, issue_sign_in_link

    settings = _require_services(temporal=False)

    async def run() -> tuple[str, str | None]:
        engine = engine_from_settings(settings)
        try:
            sessions = session_factory(engine)
            key = await create_user_with_key(sessions, name=name, email=email)
            return key, await issue_sign_in_link(sessions, email=email)
        finally:
            await engine.dispose()

    key, link = asyncio.run(run())
    typer.echo(key)
    if link is not None:  # the user was just created or found: there is one
        typer.echo(
            f"Console sign-in link (once, within {settings.console_link_minutes} minutes): "
            f"{link_url(settings.console_address, link)}",
            err=True,
        )


@app.command()
def enroll(
    definition_id: Annotated[int, typer.Argument(help="Workflow definition id")],
    customer_ids: Annotated[list[int], typer.Argument(help="Customer ids")],
) -> None:
    """Enroll customers in a workflow (an enrolled customer is reassigned)."""
    from models import Customer
    from services.common import get_or_404
    from services.enrollments import enroll_customer
    from services.unit_of_work import UnitOfWork
    from workers.operator import in_unit_of_work, operator_state, terminal_user

    async def run() -> None:
        actor = terminal_user()
        async with operator_state(_require_services()) as state:
            with typer.progressbar(customer_ids, label="Enrolling") as bar:
                for customer_id in bar:

                    async def one(uow: UnitOfWork, customer_id: int = customer_id) -> None:
                        customer = await get_or_404(uow.session, Customer, customer_id, "customer")
                        await enroll_customer(uow, customer, definition_id, actor.email)

                    await in_unit_of_work(state, one)

    asyncio.run(run())


@app.command()
def pause(
    customer_id: int, reason: str, until: Annotated[str | None, typer.Option(help="ISO date-time")] = None
) -> None:
    """Pause a customer (nothing is sent until resumed, or until the given time)."""
    from datetime import datetime

    from services.customers import pause_customer
    from services.schemas.customers import PauseRequest
    from workers.operator import in_unit_of_work, operator_state, terminal_user

    request = PauseRequest(reason=reason, until=datetime.fromisoformat(until) if until else None)

    async def run() -> None:
        async with operator_state(_require_services()) as state:
            await in_unit_of_work(
                state, lambda uow: pause_customer(uow, customer_id, request, terminal_user())
            )

    asyncio.run(run())
    typer.echo(f"customer {customer_id} paused")


@app.command()
def resume(customer_id: int) -> None:
    """Resume a paused customer."""
    from services.customers import resume_customer
    from workers.operator import in_unit_of_work, operator_state, terminal_user

    async def run() -> None:
        async with operator_state(_require_services()) as state:
            await in_unit_of_work(state, lambda uow: resume_customer(uow, customer_id, terminal_user()))

    asyncio.run(run())
    typer.echo(f"customer {customer_id} resumed")


@app.command()
def status(enrollment_id: int) -> None:
    """Show an enrollment: its row and what its workflow is doing now."""
    from services.enrollments import status as enrollment_status
    from workers.operator import in_unit_of_work, operator_state

    async def run() -> str:
        async with operator_state(_require_services()) as state:
            out = await in_unit_of_work(state, lambda uow: enrollment_status(uow, enrollment_id))
            return out.model_dump_json(indent=2)

    typer.echo(asyncio.run(run()))


async def _preflight(settings: Settings) -> None:
    """Reach Postgres and Temporal before serving, so a wrong address is a start-up error."""
    from workers.startup import connect_temporal

    await check_database(settings)
    await connect_temporal(settings)


def _require_services(*, temporal: bool = True) -> Settings:
    settings = get_settings()
    missing = [name for name, value in (("ARCADENCE_DATABASE_URL", settings.database_url),) if value is None]
    if temporal and settings.temporal_address is None:
        missing.append("ARCADENCE_TEMPORAL_ADDRESS")
    if missing:
        typer.echo(f"{', '.join(missing)} must be set", err=True)
        raise typer.Exit(2)
    return settings


if __name__ == "__main__":
    app()
