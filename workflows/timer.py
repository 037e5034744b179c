"""The enrollment's wait: until an instant (the next step, the end of a pause), cut short by
any signal. The updatable-timer pattern of samples-python `updatable_timer/`."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from workflows.policies import IDLE_REPLAN


class InterruptibleTimer:
    """Signal handlers `interrupt()` it; the loop `rearm()`s it before it reads the truth again,
    so a signal that lands while the workflow plans or sends makes the next wait return at once."""

    def __init__(self) -> None:
        self._interrupted = False

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def interrupt(self) -> None:
        self._interrupted = True

    def rearm(self) -> None:
        self._interrupted = False

    async def sleep_until(self, until: datetime | None, summary: str) -> None:
        """Sleep until `until` (with None, for `IDLE_REPLAN`) or an interruption.

        The remaining time is recomputed from the absolute instant after every wake-up, so a
        signal never shifts the schedule; the summary is what the UI shows on the timer.
        """
        while not self._interrupted:
            now = workflow.now()
            if until is not None and now >= until:
                return
            remaining = until - now if until is not None else IDLE_REPLAN
            try:
                await workflow.wait_condition(
                    lambda: self._interrupted, timeout=remaining, timeout_summary=summary[:200]
                )
            except TimeoutError:
                if until is None:
                    return
