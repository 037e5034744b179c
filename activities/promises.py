"""The promise deadline's activity: at the deadline, a still-open promise is judged (kept or
broken, by `domain.promises`) and the outcome written (`models.repository.promises`)."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.errors import missing_rows_are_final
from activities.promise_contracts import SettlePromiseInput, SettlePromiseResult
from domain import promises as rules
from domain.enums import PromiseState
from domain.history import ENGINE_ACTOR
from models import PromiseToPay
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.repository import NotFound, calendar_of, live_enrollment, load_organization
from models.repository.promises import close_promise, covered_invoices, covered_view, load_promise

log = structlog.get_logger("arcadence.promises")


async def judge_promise(session: AsyncSession, promise: PromiseToPay, as_of: datetime) -> PromiseState:
    """An open, locked promise judged at `as_of` (`domain.promises`): kept or broken is written
    (`close_promise`), open is left. The deadline's workflow asks at the deadline; the
    customer's enrollment asks too when it plans past it (a deadline workflow that never
    started, Temporal unreachable after the commit, still has its promise judged)."""
    rows = (await covered_invoices(session, [require_id(promise)]))[require_id(promise)]
    state = rules.outcome(promise.amount, covered_view(rows), promise.deadline_at, as_of)
    if state == PromiseState.OPEN:
        return state
    today = calendar_of(await load_organization(session)).local_date_of(as_of)
    closed = await close_promise(session, promise, state, actor=ENGINE_ACTOR, at=as_of, today=today)
    log.info("promise.settled", promise_id=promise.id, state=state, paid=str(closed.paid))
    return state


class PromiseActivities:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    @activity.defn(name="settle_promise")
    @missing_rows_are_final
    async def settle_promise(self, request: SettlePromiseInput) -> SettlePromiseResult:
        """Idempotent: a promise already closed (by a payment, a person, an earlier attempt) is
        left as it is."""
        async with unit_of_work(self._sessions) as session:
            promise = await load_promise(session, request.promise_id, lock=True)
            if promise is None:
                raise NotFound(f"promise {request.promise_id} does not exist")
            if promise.state != PromiseState.OPEN:
                return SettlePromiseResult(state=PromiseState(promise.state), changed=False)
            state = await judge_promise(session, promise, request.as_of)
            if state == PromiseState.OPEN:
                return SettlePromiseResult(state=state, changed=False)
            enrollment = await live_enrollment(session, promise.customer_id)
        return SettlePromiseResult(
            state=state,
            changed=True,
            enrollment_workflow_id=enrollment.workflow_id if enrollment is not None else None,
        )
