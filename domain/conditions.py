"""Conditions on a customer's balances that decide whether a step runs, with their reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.enums import ConditionMetric, ConditionOperator, InvoiceStatus
from domain.invoices import is_owed
from domain.money import check_currency, format_amount

PERCENT_METRICS = frozenset({ConditionMetric.OVERDUE_PCT, ConditionMetric.CONSOLIDATED_OVERDUE_PCT})
LABELS = {
    ConditionMetric.OUTSTANDING: "Outstanding",
    ConditionMetric.OVERDUE: "Overdue",
    ConditionMetric.OVERDUE_PCT: "Overdue %",
    ConditionMetric.CONSOLIDATED_OUTSTANDING: "Consolidated outstanding",
    ConditionMetric.CONSOLIDATED_OVERDUE: "Consolidated overdue",
    ConditionMetric.CONSOLIDATED_OVERDUE_PCT: "Consolidated overdue %",
}
SYMBOLS = {ConditionOperator.GTE: ">=", ConditionOperator.LT: "<"}


@dataclass(frozen=True, slots=True)
class Condition:
    metric: ConditionMetric
    operator: ConditionOperator
    value: Decimal


@dataclass(frozen=True, slots=True)
class Metrics:
    """Figures at wake time, in the customer's home currency (computed in SQL by the engine)."""

    currency: str
    outstanding: Decimal
    overdue: Decimal
    consolidated_outstanding: Decimal
    consolidated_overdue: Decimal
    # Open invoices of the customer (or its hierarchy) in other currencies: not in the figures
    # above, since arcadence holds no conversion rates; the explanation says so.
    other_currency_count: int = 0
    other_currencies: tuple[str, ...] = ()

    def value_of(self, metric: ConditionMetric) -> Decimal:
        if metric == ConditionMetric.OUTSTANDING:
            return self.outstanding
        if metric == ConditionMetric.OVERDUE:
            return self.overdue
        if metric == ConditionMetric.CONSOLIDATED_OUTSTANDING:
            return self.consolidated_outstanding
        if metric == ConditionMetric.CONSOLIDATED_OVERDUE:
            return self.consolidated_overdue
        if metric == ConditionMetric.OVERDUE_PCT:
            return _percent(self.overdue, self.outstanding)
        if metric == ConditionMetric.CONSOLIDATED_OVERDUE_PCT:
            return _percent(self.consolidated_overdue, self.consolidated_outstanding)
        raise ValueError(f"unknown metric {metric!r}")


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    # Nothing outstanding means nothing overdue: 0 %, never a division by zero.
    if whole <= 0:
        return Decimal("0.00")
    return (part / whole * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ConditionResult:
    condition: Condition
    actual: Decimal
    held: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    results: tuple[ConditionResult, ...]
    # Said after the results: what the figures left out (invoices in other currencies).
    note: str = ""

    @property
    def held(self) -> bool:
        return all(r.held for r in self.results)

    @property
    def explanation(self) -> str:
        if not self.results:
            return "No conditions"
        said = "; ".join(r.explanation for r in self.results)
        return f"{said} ({self.note})" if self.note else said


def other_currencies_note(metrics: Metrics) -> str:
    """In words: which open invoices the figures left out, and why (no conversion rates)."""
    if not metrics.other_currency_count:
        return ""
    count = metrics.other_currency_count
    which = "invoice" if count == 1 else "invoices"
    return (
        f"{count} open {which} in {', '.join(metrics.other_currencies)} left out: amounts are compared "
        f"in {metrics.currency}, the customer's home currency, and other currencies are not converted"
    )


def _show(metric: ConditionMetric, amount: Decimal, currency: str) -> str:
    if metric in PERCENT_METRICS:
        return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
    return format_amount(amount, currency)


def evaluate(conditions: Sequence[Condition], metrics: Metrics) -> Evaluation:
    """Every condition against the figures; each result says what was required and what was."""
    results = []
    for condition in conditions:
        actual = metrics.value_of(condition.metric)
        held = (
            actual >= condition.value
            if condition.operator == ConditionOperator.GTE
            else actual < condition.value
        )
        label = LABELS[condition.metric]
        required = _show(condition.metric, condition.value, metrics.currency)
        was = _show(condition.metric, actual, metrics.currency)
        explanation = f"{label} {SYMBOLS[condition.operator]} {required} (was {was})"
        results.append(
            ConditionResult(condition=condition, actual=actual, held=held, explanation=explanation)
        )
    return Evaluation(results=tuple(results), note=other_currencies_note(metrics))


_FIELDS = frozenset({"metric", "operator", "value"})


def parse_conditions(raw: Sequence[Mapping[str, object]] | None) -> tuple[Condition, ...]:
    """Conditions from their stored JSON form, refusing anything malformed with a clear message."""
    parsed = []
    for index, item in enumerate(raw or ()):
        where = f"condition {index + 1}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: expected an object with metric, operator and value")
        unexpected = sorted(str(k) for k in item if k not in _FIELDS)
        if unexpected:
            raise ValueError(f"{where}: unexpected field(s) {', '.join(unexpected)}")
        try:
            metric = ConditionMetric(str(item.get("metric")))
        except ValueError:
            raise ValueError(f"{where}: unknown metric {item.get('metric')!r}") from None
        try:
            operator = ConditionOperator(str(item.get("operator")))
        except ValueError:
            raise ValueError(f"{where}: unknown operator {item.get('operator')!r} (gte or lt)") from None
        raw_value = item.get("value")
        if isinstance(raw_value, float | bool) or raw_value is None:
            raise ValueError(f"{where}: value must be a decimal string or integer")
        try:
            value = Decimal(str(raw_value))
        except InvalidOperation:
            raise ValueError(f"{where}: value {raw_value!r} is not a number") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{where}: value must be a non-negative number")
        if metric in PERCENT_METRICS and value > 100:
            raise ValueError(f"{where}: a percentage cannot exceed 100")
        parsed.append(Condition(metric=metric, operator=operator, value=value))
    return tuple(parsed)


def condition_to_json(condition: Condition) -> dict[str, str]:
    return {
        "metric": condition.metric.value,
        "operator": condition.operator.value,
        "value": str(condition.value),
    }


@dataclass(frozen=True, slots=True)
class InvoiceFigure:
    """One invoice as the metrics see it; `currency` None means the customer's home currency."""

    customer_id: int
    balance_due: Decimal
    due_date: date
    status: InvoiceStatus | str
    paused: bool = False
    currency: str | None = None


def compute_metrics(
    own: Sequence[InvoiceFigure], descendants: Sequence[InvoiceFigure], currency: str, as_of: date
) -> Metrics:
    """Reference implementation of the SQL metrics (models/metrics.py), for tests to compare.

    An invoice counts while it is not paid, void or written off and has a balance, in the home
    currency (amounts in other currencies are not converted: they are counted apart, and the
    condition explanation says they were left out). Paused invoices still count: a
    pause stops messages, not the debt. Overdue means due strictly before `as_of`.
    """
    check_currency(currency)

    def totals(items: Sequence[InvoiceFigure]) -> tuple[Decimal, Decimal]:
        live = [
            i
            for i in items
            if is_owed(i.status, i.balance_due) and (i.currency is None or i.currency == currency)
        ]
        return (
            sum((i.balance_due for i in live), Decimal(0)),
            sum((i.balance_due for i in live if i.due_date < as_of), Decimal(0)),
        )

    outstanding, overdue = totals(own)
    sub_outstanding, sub_overdue = totals(descendants)
    foreign = [
        i
        for i in (*own, *descendants)
        if is_owed(i.status, i.balance_due) and i.currency is not None and i.currency != currency
    ]
    return Metrics(
        currency=currency,
        outstanding=outstanding,
        overdue=overdue,
        consolidated_outstanding=outstanding + sub_outstanding,
        consolidated_overdue=overdue + sub_overdue,
        other_currency_count=len(foreign),
        other_currencies=tuple(sorted({i.currency for i in foreign if i.currency is not None})),
    )
