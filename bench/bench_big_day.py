"""The big day: N enrollments whose step falls on the same send time, with the organization's
send window set to 30 minutes (or scaled: see Sizes below). Checked: every message is sent
inside the window, nothing is sent twice, and the provider never sees more per minute than the
spread implies (against a baseline of N trivial workflows that wake at exactly the same
instants, in the same run).

It runs in minutes because it runs on Temporal's time-skipping server: the clock jumps over
the idle time (the hour before the send time, the gaps between timers), and while work is
under way it runs at wall-clock speed, so a worker that cannot keep up shows as late sends.
The clock is advanced 20 seconds at a time, each step waiting until everything due by then
has been sent. A send's instant is the server time its attempt was scheduled
(`activity.info().current_attempt_scheduled_time`), recorded by a provider stub in front of
the outbox (arcadence) or by the no-op activity (baseline). Ratio: arcadence's busiest minute /
the baseline's busiest minute; target <= 1.1. The run fails outright if a message is sent twice
or outside the window (one step of the stepped clock of slack).

Sizes. While sends are under way the server's clock runs at wall-clock speed, so a window that
is busy from end to end takes its own length in wall time: the issue's day, 10,000 in 30
minutes, takes about 40 minutes here (`--n 10000 --window 30`). So the default run keeps that
day's rate and scales the window: 1,000 enrollments in 3 minutes, the same 333 sends a minute
the provider would see (and the same 5.6 steps/s the workers must sustain). `--quick`: 500 in
the full 30-minute window (the spread over a real window, at a low rate)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sized
from datetime import datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import text
from temporalio import activity
from temporalio.worker import Worker

from activities.channels.base import EmailMessage, SendOutcome, SmsMessage
from activities.channels.outbox import OutboxChannel
from bench._baseline import WakerWorkflow
from bench._harness import (
    NY,
    Services,
    run_concurrently,
    seed_customers,
    seed_definition,
    seed_enrollments,
    seed_org,
    services,
    start_enrollments,
    wait_until,
)
from bench._report import CpuMeter, figure, machine, parse_args, ratio_line, say
from domain.schedules.org_calendar import OrgCalendar
from models.db import SessionFactory
from workers.worker import build_worker

ARCADENCE_QUEUE = "arcadence-bench"
BASELINE_QUEUE = "bench-baseline"
SEND_TIME = clock_time(9, 0)
STEP = timedelta(seconds=20)


class RecordingProvider:
    """The outbox, and the server time of every send it is asked for (retries included)."""

    name = "outbox"

    def __init__(self, sessions: SessionFactory) -> None:
        self._outbox = OutboxChannel(sessions)
        self.sends: list[tuple[int, datetime]] = []

    async def send_email(self, message: EmailMessage) -> SendOutcome:
        self.sends.append((message.delivery_id, activity.info().current_attempt_scheduled_time))
        return await self._outbox.send_email(message)

    async def send_sms(self, message: SmsMessage) -> SendOutcome:
        self.sends.append((message.delivery_id, activity.info().current_attempt_scheduled_time))
        return await self._outbox.send_sms(message)


class RecordingNoop:
    def __init__(self) -> None:
        self.runs: list[tuple[str, datetime]] = []

    @activity.defn(name="bench_noop")
    async def noop(self) -> None:
        info = activity.info()
        self.runs.append((info.workflow_id or "", info.current_attempt_scheduled_time))


async def drive(svc: Services, fire_at: list[datetime], done: Sized, what: str) -> float:
    """Step the server clock from the first instant in `fire_at` past the last, waiting at each
    step until as many sends happened as instants have passed; returns the wall time spent."""
    env = svc.env
    assert env is not None
    began = time.monotonic()
    ordered = sorted(fire_at)
    now = await env.get_current_time()
    if ordered[0] > now:
        await env.sleep(ordered[0] - now)
    while len(done) < len(ordered):
        await env.sleep(STEP)
        now = await env.get_current_time()
        due = sum(1 for at in ordered if at <= now)
        await wait_until(_sent(done, due), limit_s=600, interval=0.05, what=f"{what}: {due} due")
    return time.monotonic() - began


def _sent(done: Sized, due: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(done) >= due

    return check


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=0, help="enrollments due (default 1,000; quick 500)")
    parser.add_argument("--window", type=int, default=0, help="send window, minutes (default 3; quick 30)")


def busiest_minute(instants: list[datetime], start: datetime) -> int:
    return max(Counter(int((at - start).total_seconds() // 60) for at in instants).values())


async def main() -> None:
    args = parse_args(__doc__ or "", _options)
    n: int = args.n or (500 if args.quick else 1_000)
    window: int = args.window or (30 if args.quick else 3)
    say(f"bench big_day: N = {n} due at one send time, {window}-minute window ({machine()})")
    async with services("time_skipping") as svc:
        env = svc.env
        assert env is not None
        # Skip to an hour before tomorrow's send time: the N first plans happen before it.
        server_now = await env.get_current_time()
        day = server_now.astimezone(NY).date() + timedelta(days=1)
        calendar = OrgCalendar(time_zone="America/New_York", send_time=SEND_TIME, send_window_minutes=window)
        window_start = calendar.fire_at(day)
        window_end = window_start + timedelta(minutes=window)
        await env.sleep(window_start - timedelta(hours=1) - server_now)

        await seed_org(svc.sessions, send_time=SEND_TIME)
        async with svc.engine.begin() as conn:
            await conn.execute(
                text("UPDATE organization_settings SET send_window_minutes = :m"), {"m": window}
            )
        customer_ids = await seed_customers(svc.sessions, n, invoices_each=1)
        definition_id = await seed_definition(
            svc.sessions,
            kind="assignment",
            conditions=[{"metric": "outstanding", "operator": "gte", "value": "1"}],
            steps=[
                {"offset_days": 0, "action": "customer_email"},
                {"offset_days": 30, "action": "customer_email"},
            ],
        )
        enrollment_ids = await seed_enrollments(svc.sessions, customer_ids, definition_id, day)
        fire_at = {e: calendar.fire_at(day, spread_key=str(e)) for e in enrollment_ids}

        provider = RecordingProvider(svc.sessions)
        settings = svc.settings(ARCADENCE_QUEUE)
        worker = build_worker(
            svc.client,
            task_queue=ARCADENCE_QUEUE,
            sessions=svc.sessions,
            email=provider,
            sms=provider,
            settings=settings,
        )
        async with worker:
            await start_enrollments(
                svc.client,
                ARCADENCE_QUEUE,
                list(zip(enrollment_ids, customer_ids, strict=True)),
                definition_id,
            )

            async def planned() -> bool:
                return await svc.scalar("SELECT count(*) FROM enrollment WHERE next_step_at IS NOT NULL") >= n

            await wait_until(planned, limit_s=1_800, interval=0.2, what="first plans")
            if await env.get_current_time() >= window_start:
                raise RuntimeError("the first plans took longer than the hour before the send time")
            cpu = CpuMeter()
            cpu.start()
            ours_wall = await drive(svc, list(fire_at.values()), provider.sends, "arcadence")
            cpu.stop(ours_wall, "arcadence window")
            await asyncio.sleep(1)

        sent = await svc.scalar("SELECT count(*) FROM delivery WHERE status = 'sent'")
        outbox_rows = await svc.scalar("SELECT count(*) FROM outbox_message")
        recorded = await svc.scalar("SELECT count(*) FROM history_entry WHERE action = 'message_sent'")
        customers_reached = await svc.scalar(
            "SELECT count(DISTINCT customer_id) FROM delivery WHERE status = 'sent'"
        )
        enrollment_of = {delivery: enrollment for delivery, enrollment in await _delivery_enrollments(svc)}

        # The baseline: N trivial workflows waking at the same instants, a day later.
        noop = RecordingNoop()
        later = {e: at + timedelta(days=1) for e, at in fire_at.items()}
        baseline = Worker(
            svc.client,
            task_queue=BASELINE_QUEUE,
            workflows=[WakerWorkflow],
            activities=[noop.noop],
            max_concurrent_activities=settings.max_concurrent_activities,
            max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
            max_cached_workflows=settings.max_cached_workflows,
        )
        async with baseline:

            def start(e: int) -> Callable[[], Awaitable[object]]:
                return lambda: svc.client.start_workflow(
                    WakerWorkflow.run, later[e], id=f"waker-{e}", task_queue=BASELINE_QUEUE
                )

            await run_concurrently([start(e) for e in enrollment_ids])
            base_wall = await drive(svc, list(later.values()), noop.runs, "baseline")

    ours = [at for _, at in provider.sends]
    late = [at - fire_at[enrollment_of[d]] for d, at in provider.sends]
    base_late = [at - later[int(w.removeprefix("waker-"))] for w, at in noop.runs]
    outside = sum(1 for at in ours if not window_start <= at <= window_end + STEP)
    twice = len(provider.sends) - len({d for d, _ in provider.sends})
    figure(
        "sends asked of the provider / deliveries sent / outbox rows / history entries",
        f"{len(provider.sends)} / {sent} / {outbox_rows} / {recorded}",
    )
    figure("customers reached", customers_reached)
    first, last = (min(ours) - window_start).total_seconds(), (max(ours) - window_start).total_seconds()
    figure("first and last send after the send time", f"{first:.0f} s / {last:.0f} s")
    figure("sends outside the window", outside)
    figure("lateness (send - its own spread instant), arcadence max / median", _max_median(late))
    figure("lateness, baseline max / median", _max_median(base_late))
    implied = n / window
    ours_peak = busiest_minute(ours, window_start)
    base_peak = busiest_minute([at for _, at in noop.runs], window_start + timedelta(days=1))
    figure("sends per minute implied by the window (N / window)", implied)
    figure("busiest minute, arcadence / baseline", f"{ours_peak} / {base_peak}")
    figure(
        "wall time to step through the window, arcadence / baseline", f"{ours_wall:.0f} s / {base_wall:.0f} s"
    )
    if twice or sent != n or outbox_rows != n or recorded != n or customers_reached != n:
        raise RuntimeError(f"a message was lost or sent twice: {twice} repeated sends, {sent} sent of {n}")
    if outside:
        raise RuntimeError(f"{outside} messages were sent outside the {window}-minute window")
    ratio_line("big_day", ours_peak / base_peak, "<=", 1.1)


def _max_median(values: list[timedelta]) -> str:
    ordered = sorted(values)
    return f"{ordered[-1].total_seconds():.1f} s / {ordered[len(ordered) // 2].total_seconds():.1f} s"


async def _delivery_enrollments(svc: Services) -> list[tuple[int, int]]:
    async with svc.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, enrollment_id FROM delivery"))).all()
    return [(int(d), int(e)) for d, e in rows]


if __name__ == "__main__":
    asyncio.run(main())
