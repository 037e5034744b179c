"""The promise deadline's activity: at the deadline, a still-open promise is judged (kept or
broken, by `domain.promises`) and the outcome written (`models.repository.promises`)."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.errors import missing_rows_are_final
from activities.promise_contracts import SettlePromiseInput, SettlePromiseResult
from domain import promises as rules
from domain.enums import PromiseState
from domain.history import ENGINE_ACTOR
from models.db import SessionFactory, unit_of_work
from models.repository import NotFound, calendar_of, live_enrollment, load_organization
from models.repository.promises import close_promise, covered_invoices, covered_view, load_promise

log = structlog.get_logger("arcadence.promises")


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
            rows = (await covered_invoices(session, [request.promise_id]))[request.promise_id]
            state = rules.outcome(promise.amount, covered_view(rows), promise.deadline_at, request.as_of)
            if state == PromiseState.OPEN:
                return SettlePromiseResult(state=state, changed=False)
            today = calendar_of(await load_organization(session)).local_date_of(request.as_of)
            closed = await close_promise(
                session, promise, state, actor=ENGINE_ACTOR, at=request.as_of, today=today
            )
            enrollment = await live_enrollment(session, promise.customer_id)
        log.info("promise.settled", promise_id=request.promise_id, state=state, paid=str(closed.paid))
        return SettlePromiseResult(
            state=state,
            changed=True,
            enrollment_workflow_id=enrollment.workflow_id if enrollment is not None else None,
        )
