"""The after-commit queue: per-workflow order, concurrency across workflows, and which failures
the caller hears about."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from api.deps import AppState, UnitOfWork
from api.errors import Unavailable


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
