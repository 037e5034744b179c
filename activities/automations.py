"""The automation activities: which automations the unprocessed events and the time triggers
fire now (each run claimed once per automation and event or firing), the customer-level
actions (pause, resume), the organization's webhook, and the history entry of each firing.

Step actions (messages, tasks, notes, statuses, assignments) are not here: the workflow performs
them through `prepare` / `send` / `record`, exactly as steps."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.automation_contracts import (
    ActionRef,
    ApplyInput,
    ApplyResult,
    AutomationWork,
    CompletedInput,
    CompleteInput,
    ReactInput,
    ReactResult,
    WebhookInput,
    WebhookResult,
)
from activities.errors import missing_rows_are_final
from activities.liveness import not_live_reason
from domain import automations as auto
from domain.conditions import Evaluation, Metrics, evaluate
from domain.enums import (
    AutomationAction,
    CatchUpPolicy,
    ConditionMetric,
    EventKind,
    HistoryAction,
    TimeTrigger,
)
from domain.invoices import out_of_cadence_reason
from domain.pauses import pause_in_force
from domain.wording import local_time
from models import Automation, AutomationRun, Customer, Enrollment, Event, Invoice
from models.base import require_id
from models.db import SessionFactory, unit_of_work
from models.history import write_history
from models.metrics import customer_metrics
from models.repository import (
    customer_calendar_of,
    load_customer,
    load_definition,
    load_enrollment,
    load_organization,
)
from models.repository import open_invoices as owed_invoices
from models.repository.automations import (
    actions_since,
    attached_automations,
    automation_spec,
    claimed_runs,
    latest_run,
    record_run_once,
    run_of,
    unprocessed_events,
    write_event,
)
from models.repository.pauses import pause_and_record, resume_and_record

log = structlog.get_logger("arcadence.automations")

# Events read per planning: more wait for the next one (a signal or the daily re-plan).
EVENTS_PER_PLAN = 50
ENGINE = "arcadence"
WEBHOOK_TIMEOUT = 10.0
SIGNATURE_HEADER = "X-Arcadence-Signature"
TIMESTAMP_HEADER = "X-Arcadence-Timestamp"
KEY_HEADER = "X-Arcadence-Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: what the organization's endpoint verifies."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _event_words(event: Event, numbers: dict[int, str]) -> str:
    words = event.kind.replace("_", " ")
    number = numbers.get(event.invoice_id) if event.invoice_id is not None else None
    if event.kind == EventKind.INVOICE_PAID:
        words += " in full" if event.payload.get("full") else " partly"
    return f"{words} ({number})" if number else words


def _time_words(spec: auto.AutomationSpec, firing: auto.TimeFiring, numbers: dict[int, str]) -> str:
    trigger = spec.trigger
    if trigger.kind == TimeTrigger.DAYS_FROM_DUE:
        days = int(trigger.params["days"])
        where = f"{abs(days)} days {'before' if days < 0 else 'after'} due" if days else "on the due date"
        number = numbers.get(firing.invoice_id or 0, "")
        return f"{where} ({number}) on {firing.local_date.isoformat()}"
    if trigger.kind == TimeTrigger.THRESHOLD_CROSSED:
        return (
            f"{trigger.params['metric']} crossed {trigger.params['value']} on {firing.local_date.isoformat()}"
        )
    return f"{trigger.kind.replace('_', ' ')} {firing.local_date.isoformat()}"


class _Claims:
    """Claims the runs of one planning, within the limits (per event, per local day)."""

    def __init__(
        self,
        session: AsyncSession,
        enrollment: Enrollment,
        as_of: datetime,
        today: date,
        performed_today: int,
    ) -> None:
        self.session = session
        self.today = today
        self.enrollment = enrollment
        self.as_of = as_of
        self.performed_today = performed_today
        self.work: list[AutomationWork] = []

    async def claim(
        self,
        spec: auto.AutomationSpec,
        *,
        trigger_key: str,
        trigger_words: str,
        evaluation: Evaluation,
        performed_for_event: int,
        at: datetime,
        local_date: date,
        event_id: int | None = None,
        invoice_id: int | None = None,
        invoice_number: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Claims one run; returns how many actions it will perform (0: not fired, or limited)."""
        customer_id = self.enrollment.customer_id
        conditions = evaluation.explanation if spec.conditions else ""
        details = {"trigger": trigger_words, "conditions": conditions, **(extra or {})}
        base: dict[str, Any] = {
            "automation_id": spec.id,
            "automation_version": spec.version,
            "customer_id": customer_id,
            "enrollment_id": self.enrollment.id,
            "event_id": event_id,
            "trigger_key": trigger_key,
            "occurred_at": self.as_of,
        }
        if await run_of(self.session, spec.id, trigger_key) is not None:
            return 0  # performed (or refused) once already: exactly once
        history_key = f"{trigger_key}:auto:{spec.id}"
        if not evaluation.held:
            await record_run_once(self.session, AutomationRun(**base, outcome="not_fired", details=details))
            await write_history(
                self.session,
                customer_id=customer_id,
                enrollment_id=self.enrollment.id,
                invoice_id=invoice_id,
                action=HistoryAction.AUTOMATION_NOT_FIRED,
                description=f"Automation '{spec.name}' not fired on {trigger_words}: conditions not met: "
                f"{evaluation.explanation}",
                actor=ENGINE,
                occurred_at=self.as_of,
                details={"automation_id": spec.id, **details},
                key=f"{history_key}:not_fired",
            )
            return 0
        allowed = auto.within_limits(performed_for_event, self.performed_today, len(spec.actions))
        if allowed == 0:
            await record_run_once(self.session, AutomationRun(**base, outcome="limited", details=details))
            await write_history(
                self.session,
                customer_id=customer_id,
                enrollment_id=self.enrollment.id,
                invoice_id=invoice_id,
                action=HistoryAction.AUTOMATION_LIMITED,
                description=f"Automation '{spec.name}' not performed on {trigger_words}: the limit of "
                f"{auto.MAX_ACTIONS_PER_EVENT} actions per event and {auto.MAX_ACTIONS_PER_DAY} per day "
                "was reached",
                actor=ENGINE,
                occurred_at=self.as_of,
                details={"automation_id": spec.id, **details},
                key=f"{history_key}:limited",
            )
            return 0
        limited = len(spec.actions) - allowed
        actions = [
            ActionRef(index=i, kind=a.kind, params=dict(a.params))
            for i, a in enumerate(spec.actions[:allowed])
        ]
        run = AutomationRun(
            **base,
            outcome="claimed",
            actions_performed=allowed,
            details={
                **details,
                "limited": limited,
                "at": at.isoformat(),
                "local_date": local_date.isoformat(),
            },
        )
        run_id = await record_run_once(self.session, run)
        if run_id is None:
            return 0
        self.performed_today += allowed
        self.work.append(
            AutomationWork(
                run_id=run_id,
                automation_id=spec.id,
                automation_name=spec.name,
                trigger_key=trigger_key,
                trigger=trigger_words,
                conditions=conditions,
                at=at,
                local_date=local_date,
                invoice_id=invoice_id,
                invoice_number=invoice_number,
                actions=actions,
                limited=limited,
            )
        )
        return allowed


def _again(run: AutomationRun, row: Automation | None, numbers: dict[int, str]) -> AutomationWork | None:
    """A claimed run an earlier attempt did not complete, to be performed again."""
    if row is None:
        return None
    spec = automation_spec(row)
    details = run.details
    invoice_id = details.get("invoice_id")
    return AutomationWork(
        run_id=require_id(run),
        automation_id=spec.id,
        automation_name=spec.name,
        trigger_key=run.trigger_key,
        trigger=str(details.get("trigger", "")),
        conditions=str(details.get("conditions", "")),
        at=datetime.fromisoformat(str(details["at"])),
        local_date=datetime.fromisoformat(str(details["local_date"])).date(),
        invoice_id=invoice_id,
        invoice_number=numbers.get(invoice_id) if isinstance(invoice_id, int) else None,
        actions=[
            ActionRef(index=i, kind=a.kind, params=dict(a.params))
            for i, a in enumerate(spec.actions[: run.actions_performed])
        ],
        limited=int(details.get("limited", 0)),
    )


class AutomationActivities:
    def __init__(self, session_factory: SessionFactory, http: httpx.AsyncClient | None = None) -> None:
        self._sessions = session_factory
        self._http = http

    @activity.defn(name="react")
    @missing_rows_are_final
    async def react(self, request: ReactInput) -> ReactResult:
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            if not_live_reason(enrollment) is not None:
                return ReactResult()
            result = await self._react(session, enrollment, request)
        log.info(
            "automations.planned",
            enrollment_id=request.enrollment_id,
            work=len(result.work),
            next_at=str(result.next_at),
        )
        return result

    async def _react(self, session: AsyncSession, enrollment: Enrollment, request: ReactInput) -> ReactResult:
        as_of = request.as_of
        customer = await load_customer(session, enrollment.customer_id)
        definition, _ = await load_definition(session, enrollment.definition_id)
        if not definition.enabled:
            return ReactResult()
        rows = await attached_automations(session, enrollment.definition_id)
        by_id = {require_id(r): r for r in rows}
        specs = [automation_spec(r) for r in rows]
        org = await load_organization(session)
        cal = await customer_calendar_of(session, org, customer)
        today = cal.local_date_of(as_of)
        invoices = await owed_invoices(session, require_id(customer))
        numbers = {require_id(i): i.number for i in invoices}
        metrics = await customer_metrics(session, require_id(customer), customer.currency, today)
        midnight = datetime.combine(today, time(0, 0), tzinfo=cal.tz).astimezone(UTC)
        claims = _Claims(
            session, enrollment, as_of, today, await actions_since(session, require_id(enrollment), midnight)
        )
        for run in await claimed_runs(session, require_id(enrollment)):
            again = _again(run, by_id.get(run.automation_id), numbers)
            if again is not None:
                claims.work.append(again)

        for event in await unprocessed_events(session, require_id(customer), EVENTS_PER_PLAN):
            # What happened before this enrollment began is not its business (a customer synced
            # long before it was enrolled): marked processed, performed by nothing.
            if event.occurred_at >= enrollment.enrolled_at:
                await self._react_to_event(session, claims, specs, event, metrics)
            event.processed_at = as_of
            session.add(event)

        watching = any(s.enabled for s in specs)
        timed = [s for s in specs if s.enabled and s.trigger.is_time]
        if not timed:
            return ReactResult(work=claims.work, watching=watching)
        due_dates = {
            require_id(i): i.due_date
            for i in invoices
            if out_of_cadence_reason(
                i.number, i.status, i.balance_due, paused=i.paused, collection_status=i.collection_status
            )
            is None
        }
        fresh = request.cursor is None
        cursor = request.cursor or (midnight - timedelta(seconds=1))
        plan = auto.plan_time_triggers(
            timed,
            cal,
            due_dates,
            cursor=cursor,
            as_of=as_of,
            catch_up=CatchUpPolicy(definition.catch_up),
            fresh=fresh,
            spread_key=str(enrollment.id),
        )
        specs_by_id = {s.id: s for s in timed}
        for firing in plan.due:
            spec = specs_by_id[firing.automation_id]
            evaluation = evaluate(spec.conditions, metrics)
            extra: dict[str, Any] = {"invoice_id": firing.invoice_id}
            if spec.trigger.kind == TimeTrigger.THRESHOLD_CROSSED:
                crossed, value = await self._crossed(session, spec, require_id(customer), metrics)
                extra["value"] = str(value)
                if not crossed:
                    await record_run_once(
                        session,
                        AutomationRun(
                            automation_id=spec.id,
                            automation_version=spec.version,
                            customer_id=require_id(customer),
                            enrollment_id=enrollment.id,
                            trigger_key=firing.key,
                            outcome="checked",
                            occurred_at=as_of,
                            details=extra,
                        ),
                    )
                    continue
            await claims.claim(
                spec,
                trigger_key=firing.key,
                trigger_words=_time_words(spec, firing, numbers),
                evaluation=evaluation,
                performed_for_event=0,
                at=firing.at,
                local_date=firing.local_date,
                invoice_id=firing.invoice_id,
                invoice_number=numbers.get(firing.invoice_id) if firing.invoice_id else None,
                extra=extra,
            )
        if plan.missed:
            await self._record_missed(session, enrollment, plan.missed, specs_by_id, as_of)
        label = ""
        if plan.next_at is not None and plan.upcoming:
            names = ", ".join(f"'{specs_by_id[f.automation_id].name}'" for f in plan.upcoming)
            when = local_time(plan.next_at, cal.time_zone)
            label = f"{when}: automation {names}"
        return ReactResult(work=claims.work, next_at=plan.next_at, next_label=label, watching=watching)

    async def _react_to_event(
        self,
        session: AsyncSession,
        claims: _Claims,
        specs: list[auto.AutomationSpec],
        event: Event,
        metrics: Metrics,
    ) -> None:
        facts = auto.EventFacts(kind=EventKind(event.kind), payload=event.payload)
        performed = 0
        invoice = await session.get(Invoice, event.invoice_id) if event.invoice_id else None
        numbers = {invoice.id: invoice.number} if invoice is not None and invoice.id is not None else {}
        for match in auto.match_event(specs, facts, metrics):
            performed += await claims.claim(
                match.automation,
                trigger_key=f"event:{event.id}",
                trigger_words=_event_words(event, numbers),
                evaluation=match.evaluation,
                performed_for_event=performed,
                at=claims.as_of,
                local_date=claims.today,
                event_id=event.id,
                invoice_id=event.invoice_id,
                invoice_number=invoice.number if invoice is not None else None,
                extra={"event_id": event.id, "invoice_id": event.invoice_id},
            )

    async def _crossed(
        self, session: AsyncSession, spec: auto.AutomationSpec, customer_id: int, metrics: Metrics
    ) -> tuple[bool, Any]:
        value = metrics.value_of(ConditionMetric(str(spec.trigger.params["metric"])))
        previous = await latest_run(session, spec.id, customer_id)
        before = None
        if previous is not None and previous.details.get("value") is not None:
            before = Decimal(str(previous.details["value"]))
        return auto.threshold_crossed(spec.trigger, before, value), value

    async def _record_missed(
        self,
        session: AsyncSession,
        enrollment: Enrollment,
        missed: tuple[auto.TimeFiring, ...],
        specs: dict[int, auto.AutomationSpec],
        as_of: datetime,
    ) -> None:
        written = []
        for firing in missed:
            spec = specs[firing.automation_id]
            run_id = await record_run_once(
                session,
                AutomationRun(
                    automation_id=spec.id,
                    automation_version=spec.version,
                    customer_id=enrollment.customer_id,
                    enrollment_id=enrollment.id,
                    trigger_key=firing.key,
                    outcome="missed",
                    occurred_at=as_of,
                    details={"at": firing.at.isoformat()},
                ),
            )
            if run_id is not None:
                written.append(firing)
        if written:
            names = sorted({specs[f.automation_id].name for f in written})
            await write_history(
                session,
                customer_id=enrollment.customer_id,
                enrollment_id=enrollment.id,
                action=HistoryAction.AUTOMATIONS_MISSED,
                description=f"{len(written)} time-triggered automation firing(s) passed while they could not "
                f"run and were left out by the catch-up policy: {', '.join(names)}",
                actor=ENGINE,
                occurred_at=as_of,
                details={"missed": [f.key for f in written]},
                key=f"missed:{written[0].key}:{len(written)}",
            )

    @activity.defn(name="apply_automation_action")
    @missing_rows_are_final
    async def apply(self, request: ApplyInput) -> ApplyResult:
        """Pause or resume the customer, as a person would, by the automation (history entry,
        enrollment state, and the event other automations may react to)."""
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            if not_live_reason(enrollment) is not None:
                return ApplyResult(summary="not performed: the enrollment has ended")
            customer = await load_customer(session, enrollment.customer_id, lock=True)
            return await _apply(session, customer, enrollment, request)

    @activity.defn(name="call_webhook")
    @missing_rows_are_final
    async def call_webhook(self, request: WebhookInput) -> WebhookResult:
        """POST the firing to the organization's endpoint, signed; 2xx is done, 4xx final,
        anything else raised for Temporal to retry."""
        async with unit_of_work(self._sessions) as session:
            body, secret = await _webhook_body(session, request)
        url = str(request.action.params["url"])
        raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(request.as_of.timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, raw),
            KEY_HEADER: str(body["key"]),
        }
        client = self._http or httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT)
        try:
            response = await client.post(url, content=raw, headers=headers, timeout=WEBHOOK_TIMEOUT)
        finally:
            if self._http is None:
                await client.aclose()
        if 200 <= response.status_code < 300:
            return WebhookResult(
                status_code=response.status_code, summary=f"webhook answered {response.status_code}"
            )
        message = f"webhook answered {response.status_code}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise ApplicationError(message, type="NonRetryable", non_retryable=True)
        raise ApplicationError(message, type="WebhookUnavailable")

    @activity.defn(name="record_workflow_completed")
    @missing_rows_are_final
    async def workflow_completed(self, request: CompletedInput) -> None:
        """The `workflow_completed` event: the enrollment's workflow has run its last step (it
        completes, or continues with its successor). Written once per enrollment and workflow;
        the workflow reacts to it before it ends or switches, so the completed workflow's own
        automations perform it."""
        async with unit_of_work(self._sessions) as session:
            enrollment = await load_enrollment(session, request.enrollment_id)
            if not_live_reason(enrollment) is not None:
                return
            await write_event(
                session,
                customer_id=enrollment.customer_id,
                kind=EventKind.WORKFLOW_COMPLETED,
                occurred_at=request.as_of,
                payload={"definition_id": request.definition_id},
                source_key=f"workflow-completed:{request.enrollment_id}:{request.definition_id}",
            )

    @activity.defn(name="complete_automation")
    @missing_rows_are_final
    async def complete(self, request: CompleteInput) -> None:
        """The run is done: its history entry (which automation, which trigger, the condition
        values, what each action did)."""
        async with unit_of_work(self._sessions) as session:
            run = await session.get(AutomationRun, request.run_id, with_for_update=True)
            if run is None:
                raise ApplicationError(f"automation run {request.run_id} does not exist", non_retryable=True)
            enrollment = await load_enrollment(session, request.enrollment_id)
            details = run.details
            if run.outcome == "claimed":
                run.outcome = "fired"
                run.details = {**details, "outcomes": request.outcomes}
                session.add(run)
            await write_history(
                session,
                customer_id=enrollment.customer_id,
                enrollment_id=enrollment.id,
                invoice_id=details.get("invoice_id"),
                action=HistoryAction.AUTOMATION_FIRED,
                description=request.description,
                actor=ENGINE,
                occurred_at=request.as_of,
                details={"automation_id": run.automation_id, **details, "outcomes": request.outcomes},
                key=f"run:{request.run_id}:fired",
            )


async def _apply(
    session: AsyncSession, customer: Customer, enrollment: Enrollment, request: ApplyInput
) -> ApplyResult:
    action = request.action
    who = f"automation '{request.automation_name}'"
    if action.kind == AutomationAction.PAUSE_CUSTOMER:
        if pause_in_force(customer.paused, customer.paused_until, request.as_of):
            return ApplyResult(summary="customer already paused")
        days = action.params.get("days")
        until = request.as_of + timedelta(days=int(days)) if days else None
        await pause_and_record(
            session,
            customer,
            until=until,
            reason=str(action.params.get("reason") or f"paused by {who}"),
            actor=ENGINE,
            occurred_at=request.as_of,
            enrollment=enrollment,
        )
        return ApplyResult(summary="customer paused" + (f" for {days} days" if days else ""), changed=True)
    if action.kind == AutomationAction.RESUME_CUSTOMER:
        if not customer.paused:
            return ApplyResult(summary="customer was not paused")
        await resume_and_record(
            session,
            customer,
            description=f"Resumed by {who}",
            actor=ENGINE,
            occurred_at=request.as_of,
            enrollment=enrollment,
            key=f"run:{request.run_id}:{action.index}:resume",
        )
        return ApplyResult(summary="customer resumed", changed=True)
    raise ApplicationError(f"{action.kind} is not a customer-level action", non_retryable=True)


async def _webhook_body(session: AsyncSession, request: WebhookInput) -> tuple[dict[str, Any], str]:
    run = await session.get(AutomationRun, request.run_id)
    if run is None:
        raise ApplicationError(f"automation run {request.run_id} does not exist", non_retryable=True)
    automation = await session.get(Automation, run.automation_id)
    if automation is None:
        raise ApplicationError(f"automation {run.automation_id} does not exist", non_retryable=True)
    org = await load_organization(session)
    secret = automation.webhook_secret or org.automation_webhook_secret
    if not secret:
        raise ApplicationError(
            "no webhook secret: set one on the automation or the organization's automation_webhook_secret",
            type="NonRetryable",
            non_retryable=True,
        )
    customer = await load_customer(session, run.customer_id)
    invoice_id = run.details.get("invoice_id")
    invoice = await session.get(Invoice, invoice_id) if isinstance(invoice_id, int) else None
    body: dict[str, Any] = {
        "key": f"run:{request.run_id}:{request.action.index}",
        "automation": {"id": automation.id, "name": automation.name, "version": run.automation_version},
        "trigger": run.details.get("trigger"),
        "conditions": run.details.get("conditions"),
        "customer": {"id": customer.id, "external_id": customer.external_id, "name": customer.name},
        "invoice": None
        if invoice is None
        else {"id": invoice.id, "external_id": invoice.external_id, "number": invoice.number},
        "occurred_at": request.as_of.isoformat(),
    }
    return body, secret
