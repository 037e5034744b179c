"""The unit of work: its after-commit queue (per-workflow order, concurrency across workflows,
which failures the caller hears about), and that actions run only after a commit."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from services.errors import AfterCommitFailed, Unavailable
from services.unit_of_work import AppState, UnitOfWork, unit_of_work


def _uow() -> UnitOfWork:
    return UnitOfWork(session=cast(Any, None), state=cast(AppState, None))


async def test_actions_of_one_workflow_run_in_order_and_workflows_run_side_by_side() -> None:
    uow, seen, both_started = _uow(), [], asyncio.Event()
    running = 0

    def action(key: str, n: int) -> Any:
        async def run() -> None:
            nonlocal running
            running += 1
            if running == 2:
                both_started.set()
            await asyncio.wait_for(both_started.wait(), 1)  # deadlocks unless groups overlap
            seen.append((key, n))
            await asyncio.sleep(0)

        return run

    for n in range(3):
        uow.after_commit(action("a", n), key="enrollment-1")
    uow.after_commit(action("b", 0), key="enrollment-2")
    assert uow.pending_after_commit == 4
    await uow.run_after_commit()
    assert [n for key, n in seen if key == "a"] == [0, 1, 2]
    assert uow.pending_after_commit == 0


async def test_a_lost_nudge_is_swallowed_but_a_failed_start_is_a_503() -> None:
    async def fails() -> None:
        raise RuntimeError("Temporal is down")

    done: list[str] = []

    async def works() -> None:
        done.append("ok")

    nudge = _uow()
    nudge.after_commit(fails, key="enrollment-1")
    nudge.after_commit(works, key="enrollment-1")
    await nudge.run_after_commit()
    assert done == ["ok"]  # the next action of the same workflow still runs

    start = _uow()
    start.after_commit(fails, required=True, key="enrollment-7")
    start.after_commit(works)
    with pytest.raises(Unavailable) as raised:
        await start.run_after_commit()
    assert raised.value.code == "temporal_unavailable" and raised.value.details == {
        "workflows": ["enrollment-7"]
    }
    assert done == ["ok", "ok"]


class _Session:
    """Records what the unit of work does with its session."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.calls.append("closed")

    async def exec(self, statement: Any) -> None:
        self.calls.append(str(statement))

    async def commit(self) -> None:
        self.calls.append("commit")

    async def rollback(self) -> None:
        self.calls.append("rollback")


def _state(calls: list[str]) -> AppState:
    return AppState(
        settings=cast(Any, None),
        sessions=cast(Any, lambda: _Session(calls)),
        temporal=cast(Any, None),
        task_queue="q",
    )


async def test_actions_run_after_the_commit_and_after_the_session_is_closed() -> None:
    calls: list[str] = []

    async def signal() -> None:
        calls.append("signal")

    async with unit_of_work(_state(calls), statement_timeout_ms=1500) as uow:
        uow.after_commit(signal, key="enrollment-1")
        calls.append("work")
    assert calls == ["SET LOCAL statement_timeout = 1500", "work", "commit", "closed", "signal"]


async def test_a_failure_rolls_back_and_signals_nothing() -> None:
    calls: list[str] = []

    async def signal() -> None:
        calls.append("signal")

    with pytest.raises(ValueError):
        async with unit_of_work(_state(calls)) as uow:
            uow.after_commit(signal, required=True, key="enrollment-1")
            raise ValueError("refused")
    assert calls == ["rollback", "closed"]


async def test_a_failed_required_action_after_the_commit_raises_after_commit_failed() -> None:
    calls: list[str] = []

    async def start() -> None:
        raise RuntimeError("Temporal is down")

    with pytest.raises(AfterCommitFailed) as raised:
        async with unit_of_work(_state(calls)) as uow:
            uow.after_commit(start, required=True, key="enrollment-3")
    assert calls == ["commit", "closed"]
    assert raised.value.status == 503 and raised.value.code == "temporal_unavailable"
