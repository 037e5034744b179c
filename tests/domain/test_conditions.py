"""Conditions decide with the figures and say why, in the customer's currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.conditions import Condition, InvoiceFigure, Metrics, compute_metrics, evaluate, parse_conditions
from domain.enums import ConditionMetric as M
from domain.enums import ConditionOperator as Op
from domain.enums import InvoiceStatus

FIGURES = Metrics(
    currency="USD",
    outstanding=Decimal("3740.50"),
    overdue=Decimal("2340.50"),
    consolidated_outstanding=Decimal("10000.00"),
    consolidated_overdue=Decimal("2500.00"),
)


@pytest.mark.parametrize(
    ("metric", "op", "value", "held", "explanation"),
    [
        (M.OVERDUE, Op.GTE, "1000", True, "Overdue >= 1,000.00 USD (was 2,340.50 USD)"),
        (M.OVERDUE, Op.LT, "1000", False, "Overdue < 1,000.00 USD (was 2,340.50 USD)"),
        (M.OUTSTANDING, Op.GTE, "5000", False, "Outstanding >= 5,000.00 USD (was 3,740.50 USD)"),
        (M.OVERDUE_PCT, Op.GTE, "50", True, "Overdue % >= 50.00% (was 62.57%)"),
        (
            M.CONSOLIDATED_OUTSTANDING,
            Op.GTE,
            "10000",
            True,
            "Consolidated outstanding >= 10,000.00 USD (was 10,000.00 USD)",
        ),
        (
            M.CONSOLIDATED_OVERDUE,
            Op.LT,
            "2500",
            False,
            "Consolidated overdue < 2,500.00 USD (was 2,500.00 USD)",
        ),
        (M.CONSOLIDATED_OVERDUE_PCT, Op.LT, "30", True, "Consolidated overdue % < 30.00% (was 25.00%)"),
    ],
)
def test_each_metric_and_operator_explains_itself(
    metric: M, op: Op, value: str, held: bool, explanation: str
) -> None:
    result = evaluate([Condition(metric, op, Decimal(value))], FIGURES)
    assert result.held is held
    assert result.explanation == explanation


def test_overdue_percentage_of_nothing_outstanding_is_zero() -> None:
    empty = Metrics("USD", Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    assert empty.value_of(M.OVERDUE_PCT) == Decimal("0.00")
    assert evaluate([Condition(M.OVERDUE_PCT, Op.LT, Decimal("1"))], empty).held


def test_all_conditions_must_hold_and_none_means_yes() -> None:
    both = [Condition(M.OVERDUE, Op.GTE, Decimal(500)), Condition(M.OUTSTANDING, Op.GTE, Decimal(5000))]
    assert evaluate(both, FIGURES).held is False
    assert evaluate([], FIGURES).held is True
    assert evaluate([], FIGURES).explanation == "No conditions"


def test_japanese_yen_has_no_decimals_in_explanations() -> None:
    yen = Metrics("JPY", Decimal(150000), Decimal(150000), Decimal(150000), Decimal(150000))
    assert evaluate([Condition(M.OVERDUE, Op.GTE, Decimal(100000))], yen).explanation == (
        "Overdue >= 100,000 JPY (was 150,000 JPY)"
    )


def test_stored_conditions_parse_and_bad_ones_are_refused_clearly() -> None:
    parsed = parse_conditions([{"metric": "overdue", "operator": "gte", "value": "500.00"}])
    assert parsed == (Condition(M.OVERDUE, Op.GTE, Decimal("500.00")),)
    for raw, message in [
        ({"metric": "vibes", "operator": "gte", "value": "1"}, "unknown metric"),
        ({"metric": "overdue", "operator": "eq", "value": "1"}, "unknown operator"),
        ({"metric": "overdue", "operator": "gte", "value": "-1"}, "non-negative"),
        ({"metric": "overdue_pct", "operator": "gte", "value": "101"}, "exceed 100"),
        ({"metric": "overdue", "operator": "gte", "value": 1.5}, "decimal string"),
        ({"metric": "overdue", "operator": "gte", "value": "lots"}, "not a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_conditions([raw])


def test_paused_invoices_count_in_totals_and_paid_ones_do_not() -> None:
    today = date(2026, 12, 1)
    own = [
        InvoiceFigure(1, Decimal("100"), date(2026, 11, 1), InvoiceStatus.OPEN, paused=True),
        InvoiceFigure(1, Decimal("200"), date(2026, 12, 15), InvoiceStatus.OPEN),
        InvoiceFigure(1, Decimal("999"), date(2026, 11, 1), InvoiceStatus.PAID),
    ]
    child = [InvoiceFigure(2, Decimal("50"), date(2026, 11, 30), InvoiceStatus.DISPUTED)]
    metrics = compute_metrics(own, child, "USD", today)
    assert (metrics.outstanding, metrics.overdue) == (Decimal(300), Decimal(100))
    assert (metrics.consolidated_outstanding, metrics.consolidated_overdue) == (Decimal(350), Decimal(150))
