"""Automations: rules that react to what happens to a customer (an event) or to an instant (a
time trigger). Pure: what a trigger and an action may be, the loop check, the limits, and which
automations an event triggers. Conditions are `domain.conditions`, never decided again here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.approvals import APPROVAL_PARAMETER, approval_rule
from domain.conditions import Condition, Evaluation, Metrics, evaluate, parse_conditions
from domain.enums import (
    AutomationAction,
    CatchUpPolicy,
    CollectionStatus,
    ConditionMetric,
    EventKind,
    StepAction,
    TimeTrigger,
)
from domain.schedules.org_calendar import MAX_NON_BUSINESS_RUN, OrgCalendar
from domain.schedules.planning import ON_TIME_GRACE

# At most this many automations attached to one workflow (the product's limit).
MAX_AUTOMATIONS_PER_WORKFLOW = 100
# At most this many actions in one automation.
MAX_ACTIONS_PER_AUTOMATION = 10
# One enrollment performs at most this many automation actions for one event (all automations
# together), and at most this many per local day of the organization; the rest is recorded as
# not performed ("limit reached"), never queued for later: a storm is cut, not postponed.
MAX_ACTIONS_PER_EVENT = 20
MAX_ACTIONS_PER_DAY = 50
MAX_DAYS_FROM_DUE = 3650

TRIGGER_KINDS: frozenset[str] = frozenset({*EventKind, *TimeTrigger})

# Step actions an automation performs exactly as a step would (prepare / send / record).
STEP_ACTIONS: frozenset[AutomationAction] = frozenset(AutomationAction(a.value) for a in StepAction)

# The events an action itself causes. A message an automation sends writes no delivery event
# (bounced, opened, …): no automation reacts to another one's message (docs/AUTOMATIONS.md).
EMITS: Mapping[AutomationAction, frozenset[EventKind]] = {
    AutomationAction.PAUSE_CUSTOMER: frozenset({EventKind.CUSTOMER_PAUSED}),
    AutomationAction.RESUME_CUSTOMER: frozenset({EventKind.CUSTOMER_RESUMED}),
    AutomationAction.MOVE_TO_WORKFLOW: frozenset({EventKind.ENROLLED}),
}


class AutomationError(ValueError):
    """A trigger, action or automation that cannot be saved; `code` is machine-readable."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: str  # an EventKind or a TimeTrigger value
    # days_from_due: days (negative = before due); threshold_crossed: metric and value;
    # weekday: weekday 0-6; monthly_date: day 1-28 or -1 (the last); invoice_paid: payment
    # "full", "partial" or "any".
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_time(self) -> bool:
        return self.kind in set(TimeTrigger)


@dataclass(frozen=True, slots=True)
class Action:
    kind: AutomationAction
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AutomationSpec:
    """One automation as the engine reasons about it (its current version)."""

    id: int
    version: int
    name: str
    trigger: Trigger
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    enabled: bool = True


def _int(params: Mapping[str, Any], name: str, low: int, high: int, where: str) -> int:
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AutomationError(f"{where}: {name} must be an integer from {low} to {high}", "invalid_trigger")
    return value


def parse_trigger(raw: Mapping[str, Any]) -> Trigger:
    """A trigger from its stored form, refusing unknown kinds and bad parameters."""
    kind = str(raw.get("kind"))
    if kind not in TRIGGER_KINDS:
        raise AutomationError(f"unknown trigger '{kind}'", "invalid_trigger")
    params = {k: v for k, v in raw.items() if k != "kind"}
    where = f"trigger {kind}"
    allowed: set[str] = set()
    if kind == TimeTrigger.DAYS_FROM_DUE:
        allowed = {"days"}
        _int(params, "days", -MAX_DAYS_FROM_DUE, MAX_DAYS_FROM_DUE, where)
    elif kind == TimeTrigger.THRESHOLD_CROSSED:
        allowed = {"metric", "value"}
        metric = params.get("metric")
        if metric not in (ConditionMetric.OVERDUE, ConditionMetric.OVERDUE_PCT):
            raise AutomationError(f"{where}: metric must be overdue or overdue_pct", "invalid_trigger")
        # The threshold is a condition's value: the same checks apply.
        try:
            parse_conditions([{"metric": metric, "operator": "gte", "value": params.get("value")}])
        except ValueError as err:
            raise AutomationError(f"{where}: {err}", "invalid_trigger") from None
    elif kind == TimeTrigger.WEEKDAY:
        allowed = {"weekday"}
        _int(params, "weekday", 0, 6, where)
    elif kind == TimeTrigger.MONTHLY_DATE:
        allowed = {"day"}
        day = params.get("day")
        if day != -1:
            _int(params, "day", 1, 28, where + " (or -1 for the last day)")
    elif kind == EventKind.INVOICE_PAID:
        allowed = {"payment"}
        if params.get("payment", "any") not in ("full", "partial", "any"):
            raise AutomationError(f"{where}: payment must be full, partial or any", "invalid_trigger")
    unexpected = sorted(set(params) - allowed)
    if unexpected:
        raise AutomationError(f"{where}: unexpected parameter(s) {', '.join(unexpected)}", "invalid_trigger")
    return Trigger(kind=kind, params=params)


def parse_action(raw: Mapping[str, Any], number: int) -> Action:
    where = f"action {number}"
    try:
        kind = AutomationAction(str(raw.get("kind")))
    except ValueError:
        raise AutomationError(f"{where}: unknown action '{raw.get('kind')}'", "invalid_action") from None
    params = dict(raw.get("params") or {})
    if kind == AutomationAction.CALL_WEBHOOK:
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 2000:
            raise AutomationError(f"{where}: call_webhook needs an https:// url", "invalid_action")
    if kind == AutomationAction.MOVE_TO_WORKFLOW:
        target = params.get("definition_id")
        if not isinstance(target, int) or isinstance(target, bool):
            raise AutomationError(
                f"{where}: move_to_workflow needs an integer definition_id", "invalid_action"
            )
    if kind == AutomationAction.PAUSE_CUSTOMER and params.get("days") is not None:
        _int(params, "days", 1, 3650, where)
    if kind not in STEP_ACTIONS and APPROVAL_PARAMETER in params:
        raise AutomationError(
            f"{where}: only a message the customer reads can wait for approval", "invalid_action"
        )
    if kind in STEP_ACTIONS:
        try:
            approval_rule(StepAction(kind.value), params)  # a gate on a message the customer reads
        except ValueError as err:
            raise AutomationError(f"{where}: {err}", "invalid_action") from None
    status = params.get("status")
    known = set(CollectionStatus)
    if kind == AutomationAction.SET_INVOICE_STATUS and status is not None and str(status) not in known:
        raise AutomationError(f"{where}: unknown collection status '{status}'", "invalid_action")
    return Action(kind=kind, params=params)


def emitted_events(action: Action) -> frozenset[EventKind]:
    """What performing `action` makes happen, as events other automations may react to."""
    emitted = EMITS.get(action.kind, frozenset())
    if action.kind == AutomationAction.SET_INVOICE_STATUS and action.params.get("status") == "disputed":
        emitted = emitted | {EventKind.DISPUTE_OPENED}
    return emitted


def loop_reason(trigger: Trigger, actions: Sequence[Action]) -> str | None:
    """Why an automation would trigger itself (its action emits its own trigger), or None."""
    for number, action in enumerate(actions, start=1):
        if trigger.kind in emitted_events(action):
            return (
                f"action {number} ({action.kind.value}) causes '{trigger.kind}', the automation's own "
                "trigger: it would fire itself again and again"
            )
    return None


def parse_automation(
    *,
    automation_id: int,
    version: int,
    name: str,
    trigger: Mapping[str, Any],
    conditions: Sequence[Mapping[str, object]],
    actions: Sequence[Mapping[str, Any]],
    enabled: bool = True,
) -> AutomationSpec:
    """The whole automation, checked as it is saved: trigger, conditions, actions, loop."""
    parsed_trigger = parse_trigger(trigger)
    try:
        parsed_conditions = parse_conditions(conditions)
    except ValueError as err:
        raise AutomationError(str(err), "invalid_conditions") from None
    if not actions:
        raise AutomationError("an automation needs at least one action", "invalid_action")
    if len(actions) > MAX_ACTIONS_PER_AUTOMATION:
        raise AutomationError(
            f"at most {MAX_ACTIONS_PER_AUTOMATION} actions per automation", "too_many_actions"
        )
    parsed_actions = tuple(parse_action(a, n) for n, a in enumerate(actions, start=1))
    loop = loop_reason(parsed_trigger, parsed_actions)
    if loop is not None:
        raise AutomationError(loop, "automation_loop")
    return AutomationSpec(
        id=automation_id,
        version=version,
        name=name,
        trigger=parsed_trigger,
        conditions=parsed_conditions,
        actions=parsed_actions,
        enabled=enabled,
    )


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFacts:
    """One event as matching sees it."""

    kind: EventKind
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    automation: AutomationSpec
    evaluation: Evaluation

    @property
    def fires(self) -> bool:
        return self.evaluation.held


def trigger_matches(trigger: Trigger, event: EventFacts) -> bool:
    """Whether `event` is what `trigger` waits for (time triggers never match an event)."""
    if trigger.kind != event.kind.value:
        return False
    if event.kind == EventKind.INVOICE_PAID:
        wanted = trigger.params.get("payment", "any")
        full = bool(event.payload.get("full"))
        return bool(wanted == "any" or (wanted == "full") == full)
    return True


def match_event(automations: Sequence[AutomationSpec], event: EventFacts, metrics: Metrics) -> list[Match]:
    """The enabled automations `event` triggers, each with its conditions evaluated now
    (a match whose conditions do not hold is returned too: the history says why it did not fire)."""
    return [
        Match(automation=a, evaluation=evaluate(a.conditions, metrics))
        for a in sorted(automations, key=lambda a: a.id)
        if a.enabled and trigger_matches(a.trigger, event)
    ]


def within_limits(performed_for_event: int, performed_today: int, wanted: int) -> int:
    """How many of `wanted` more actions may run, given what this event and today already ran."""
    room = min(MAX_ACTIONS_PER_EVENT - performed_for_event, MAX_ACTIONS_PER_DAY - performed_today)
    return max(0, min(wanted, room))


# --- time triggers ---------------------------------------------------------------------------


def _last_day(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _falls_on(trigger: Trigger, day: date) -> bool:
    if trigger.kind == TimeTrigger.WEEKDAY:
        return day.weekday() == int(trigger.params["weekday"])
    if trigger.kind == TimeTrigger.MONTHLY_DATE:
        wanted = int(trigger.params["day"])
        return day.day == (_last_day(day.year, day.month) if wanted == -1 else wanted)
    return trigger.kind == TimeTrigger.THRESHOLD_CROSSED  # checked every day


def trigger_dates(
    trigger: Trigger, *, first: date, last: date, due_dates: Mapping[int, date]
) -> list[tuple[date, int | None]]:
    """The nominal local dates in [first, last] a date trigger fires on, with the invoice each is
    for (days_from_due: each open invoice's due date + days; weekday and monthly_date: the
    customer). The business-day shift and the send time are the organization calendar's
    (the caller's); threshold_crossed has no date of its own (it is checked daily)."""
    found: list[tuple[date, int | None]] = []
    if trigger.kind == TimeTrigger.DAYS_FROM_DUE:
        days = int(trigger.params["days"])
        for invoice_id, due in sorted(due_dates.items()):
            day = due + timedelta(days=days)
            if first <= day <= last:
                found.append((day, invoice_id))
        return sorted(found, key=lambda f: (f[0], f[1] or 0))
    if trigger.kind not in (TimeTrigger.WEEKDAY, TimeTrigger.MONTHLY_DATE, TimeTrigger.THRESHOLD_CROSSED):
        return []
    day = first
    while day <= last:
        if _falls_on(trigger, day):
            found.append((day, None))
        day += timedelta(days=1)
    return found


def threshold_crossed(trigger: Trigger, before: Decimal | None, now: Decimal) -> bool:
    """A threshold fires when the figure goes from below it to at or above it (the first check
    counts as crossing when the figure is already at or above: it was never seen below)."""
    try:
        value = Decimal(str(trigger.params["value"]))
    except (InvalidOperation, KeyError):
        return False
    return now >= value and (before is None or before < value)


def occurrence_key(automation_id: int, local_date: date, invoice_id: int | None) -> str:
    """The business key of one firing of a time trigger (like a step occurrence's)."""
    return f"auto:{automation_id}:{invoice_id or '-'}:{local_date.isoformat()}"


# The mark of an automation's occurrence keys (and so of its deliveries' occurrence keys).
AUTOMATION_KEY_MARK = ":auto:"


def is_automation_delivery(occurrence_key: str) -> bool:
    """Whether a delivery was sent by an automation (its occurrence key says so)."""
    return AUTOMATION_KEY_MARK in occurrence_key


def event_key(automation_id: int, event_id: int) -> str:
    return f"auto:{automation_id}:event:{event_id}"


@dataclass(frozen=True, slots=True, order=True)
class TimeFiring:
    """One firing of a time trigger: at the organization's send time on a (business) day."""

    at: datetime
    automation_id: int
    key: str
    local_date: date
    invoice_id: int | None = None


@dataclass(frozen=True, slots=True)
class TimePlan:
    due: tuple[TimeFiring, ...]
    missed: tuple[TimeFiring, ...]
    next_at: datetime | None
    upcoming: tuple[TimeFiring, ...] = ()


def time_firings(
    automations: Sequence[AutomationSpec],
    cal: OrgCalendar,
    due_dates: Mapping[int, date],
    *,
    after: datetime,
    until: datetime,
    spread_key: str = "",
) -> list[TimeFiring]:
    """Every firing with after < at <= until, in order; the business-day shift and the send
    time are the calendar's, exactly as for steps."""
    shift = MAX_NON_BUSINESS_RUN if cal.business_days_only else 0
    first = cal.local_date_of(after) - timedelta(days=1 + shift)
    last = cal.local_date_of(until)
    found: list[TimeFiring] = []
    for automation in automations:
        if not automation.enabled or not automation.trigger.is_time:
            continue
        for nominal, invoice_id in trigger_dates(
            automation.trigger, first=first, last=last, due_dates=due_dates
        ):
            local = cal.to_business_day(nominal)
            at = cal.fire_at(local, spread_key=spread_key)
            if after < at <= until:
                found.append(
                    TimeFiring(
                        at=at,
                        automation_id=automation.id,
                        key=occurrence_key(automation.id, local, invoice_id),
                        local_date=local,
                        invoice_id=invoice_id,
                    )
                )
    # A business-day shift can put two nominal dates on one day: one firing per key.
    unique = {f.key: f for f in found}
    return sorted(unique.values())


# How far ahead the next firing is looked for (a due date + days may be years away: the engine
# re-plans daily anyway when nothing comes sooner).
TIME_HORIZON = timedelta(days=400)


def plan_time_triggers(
    automations: Sequence[AutomationSpec],
    cal: OrgCalendar,
    due_dates: Mapping[int, date],
    *,
    cursor: datetime,
    as_of: datetime,
    catch_up: CatchUpPolicy,
    fresh: bool = False,
    spread_key: str = "",
    grace: timedelta = ON_TIME_GRACE,
) -> TimePlan:
    """The time triggers due now and missed since `cursor`, and the next one: the same rules as
    steps' (`domain.schedules.plan_next`): on time within the grace (or today, on a fresh plan),
    otherwise missed, and with `latest` the most recent missed instant once, never a burst."""
    past = time_firings(automations, cal, due_dates, after=cursor, until=as_of, spread_key=spread_key)
    today = cal.local_date_of(as_of)

    def on_time(f: TimeFiring) -> bool:
        return f.at > as_of - grace or (fresh and f.local_date == today)

    due = [f for f in past if on_time(f)]
    late = [f for f in past if not on_time(f)]
    caught: list[TimeFiring] = []
    if catch_up == CatchUpPolicy.LATEST and late and not due:
        caught = [f for f in late if f.at == late[-1].at]
    ahead: list[TimeFiring] = []
    start = as_of
    while not ahead and start < as_of + TIME_HORIZON:
        end = start + timedelta(days=31)
        ahead = time_firings(automations, cal, due_dates, after=start, until=end, spread_key=spread_key)
        start = end
    next_at = ahead[0].at if ahead else None
    return TimePlan(
        due=tuple(caught + due),
        missed=tuple(f for f in late if f not in caught),
        next_at=next_at,
        upcoming=tuple(f for f in ahead if f.at == next_at),
    )


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """What of an invoice its events are about."""

    balance_due: Decimal
    due_date: date
    status: str


def invoice_events(
    before: InvoiceState | None, after: InvoiceState
) -> list[tuple[EventKind, dict[str, Any]]]:
    """The events a sync or an edit of an invoice makes: created; paid (in full when nothing is
    left to pay or it is marked paid, partly when the balance only went down); due date moved."""
    if before is None:
        return [(EventKind.INVOICE_CREATED, {})]
    events: list[tuple[EventKind, dict[str, Any]]] = []
    now_paid = after.status == "paid" or after.balance_due <= 0
    was_paid = before.status == "paid" or before.balance_due <= 0
    if now_paid and not was_paid:
        events.append((EventKind.INVOICE_PAID, {"full": True, "paid": str(before.balance_due)}))
    elif after.balance_due < before.balance_due and not now_paid:
        paid = before.balance_due - after.balance_due
        events.append((EventKind.INVOICE_PAID, {"full": False, "paid": str(paid)}))
    if after.due_date != before.due_date:
        events.append(
            (
                EventKind.DUE_DATE_MOVED,
                {"from": before.due_date.isoformat(), "to": after.due_date.isoformat()},
            )
        )
    return events
