"""Conditions decide with the figures of the day and say why, in the customer's currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.conditions import (
    Condition,
    InvoiceFigure,
    Metrics,
    compute_metrics,
    condition_to_json,
    evaluate,
    parse_conditions,
)
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
        (M.OUTSTANDING, Op.GTE, "5000", False, "Outstanding >= 5,000.00 USD (was 3,740.50 USD)"),
        (M.OUTSTANDING, Op.LT, "5000", True, "Outstanding < 5,000.00 USD (was 3,740.50 USD)"),
        (M.OVERDUE, Op.GTE, "1000", True, "Overdue >= 1,000.00 USD (was 2,340.50 USD)"),
        (M.OVERDUE, Op.LT, "1000", False, "Overdue < 1,000.00 USD (was 2,340.50 USD)"),
        (M.OVERDUE_PCT, Op.GTE, "50", True, "Overdue % >= 50.00% (was 62.57%)"),
        (M.OVERDUE_PCT, Op.LT, "62.57", False, "Overdue % < 62.57% (was 62.57%)"),
        (
            M.CONSOLIDATED_OUTSTANDING,
            Op.GTE,
            "10000",
            True,
            "Consolidated outstanding >= 10,000.00 USD (was 10,000.00 USD)",
        ),
        (
            M.CONSOLIDATED_OUTSTANDING,
            Op.LT,
            "10000",
            False,
            "Consolidated outstanding < 10,000.00 USD (was 10,000.00 USD)",
        ),
        (
            M.CONSOLIDATED_OVERDUE,
            Op.GTE,
            "2500",
            True,
            "Consolidated overdue >= 2,500.00 USD (was 2,500.00 USD)",
        ),
        (
            M.CONSOLIDATED_OVERDUE,
            Op.LT,
            "2500",
            False,
            "Consolidated overdue < 2,500.00 USD (was 2,500.00 USD)",
        ),
        (M.CONSOLIDATED_OVERDUE_PCT, Op.GTE, "30", False, "Consolidated overdue % >= 30.00% (was 25.00%)"),
        (M.CONSOLIDATED_OVERDUE_PCT, Op.LT, "30", True, "Consolidated overdue % < 30.00% (was 25.00%)"),
    ],
)
def test_each_metric_and_operator_decides_and_explains_itself(
    metric: M, op: Op, value: str, held: bool, explanation: str
) -> None:
    evaluation = evaluate([Condition(metric, op, Decimal(value))], FIGURES)
    assert evaluation.held is held
    assert evaluation.explanation == explanation
    (result,) = evaluation.results
    assert result.actual == FIGURES.value_of(metric)


def test_the_boundary_value_itself_meets_gte_and_fails_lt() -> None:
    at = Decimal("2340.50")
    assert evaluate([Condition(M.OVERDUE, Op.GTE, at)], FIGURES).held
    assert not evaluate([Condition(M.OVERDUE, Op.LT, at)], FIGURES).held


def test_overdue_percentage_of_nothing_outstanding_is_zero() -> None:
    empty = Metrics("USD", Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    assert empty.value_of(M.OVERDUE_PCT) == Decimal("0.00")
    assert empty.value_of(M.CONSOLIDATED_OVERDUE_PCT) == Decimal("0.00")
    evaluation = evaluate([Condition(M.OVERDUE_PCT, Op.LT, Decimal("1"))], empty)
    assert evaluation.held
    assert evaluation.explanation == "Overdue % < 1.00% (was 0.00%)"


def test_overdue_percentage_is_rounded_to_two_places() -> None:
    thirds = Metrics("USD", Decimal(3), Decimal(2), Decimal(3), Decimal(1))
    assert thirds.value_of(M.OVERDUE_PCT) == Decimal("66.67")
    assert thirds.value_of(M.CONSOLIDATED_OVERDUE_PCT) == Decimal("33.33")


def test_all_conditions_must_hold_and_each_is_explained_in_order() -> None:
    both = [Condition(M.OVERDUE, Op.GTE, Decimal(500)), Condition(M.OUTSTANDING, Op.GTE, Decimal(5000))]
    evaluation = evaluate(both, FIGURES)
    assert evaluation.held is False
    assert [r.held for r in evaluation.results] == [True, False]
    assert evaluation.explanation == (
        "Overdue >= 500.00 USD (was 2,340.50 USD); Outstanding >= 5,000.00 USD (was 3,740.50 USD)"
    )


def test_no_conditions_means_the_step_runs() -> None:
    evaluation = evaluate([], FIGURES)
    assert evaluation.held is True
    assert evaluation.explanation == "No conditions"


def test_japanese_yen_has_no_decimals_in_explanations() -> None:
    yen = Metrics("JPY", Decimal(150000), Decimal(150000), Decimal(150000), Decimal(150000))
    assert evaluate([Condition(M.OVERDUE, Op.GTE, Decimal(100000))], yen).explanation == (
        "Overdue >= 100,000 JPY (was 150,000 JPY)"
    )


def test_stored_conditions_parse_and_serialise_back() -> None:
    raw = [
        {"metric": "overdue", "operator": "gte", "value": "500.00"},
        {"metric": "consolidated_overdue_pct", "operator": "lt", "value": 25},
    ]
    parsed = parse_conditions(raw)
    assert parsed == (
        Condition(M.OVERDUE, Op.GTE, Decimal("500.00")),
        Condition(M.CONSOLIDATED_OVERDUE_PCT, Op.LT, Decimal(25)),
    )
    assert [condition_to_json(c) for c in parsed] == [
        {"metric": "overdue", "operator": "gte", "value": "500.00"},
        {"metric": "consolidated_overdue_pct", "operator": "lt", "value": "25"},
    ]
    assert parse_conditions([condition_to_json(c) for c in parsed]) == parsed
    assert parse_conditions(None) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"metric": "vibes", "operator": "gte", "value": "1"}, "condition 1: unknown metric 'vibes'"),
        ({"metric": "overdue", "operator": "eq", "value": "1"}, "unknown operator 'eq' \\(gte or lt\\)"),
        ({"metric": "overdue", "operator": "gte", "value": "-1"}, "non-negative"),
        ({"metric": "overdue_pct", "operator": "gte", "value": "101"}, "cannot exceed 100"),
        ({"metric": "consolidated_overdue_pct", "operator": "lt", "value": "100.01"}, "cannot exceed 100"),
        ({"metric": "overdue", "operator": "gte", "value": 1.5}, "decimal string or integer"),
        ({"metric": "overdue", "operator": "gte", "value": True}, "decimal string or integer"),
        ({"metric": "overdue", "operator": "gte"}, "decimal string or integer"),
        ({"metric": "overdue", "operator": "gte", "value": "lots"}, "'lots' is not a number"),
        ({"metric": "overdue", "operator": "gte", "value": "NaN"}, "non-negative"),
        ({"metric": "overdue", "operator": "gte", "value": "1", "currency": "EUR"}, "unexpected field"),
        ({"operator": "gte", "value": "1"}, "unknown metric"),
    ],
)
def test_malformed_stored_conditions_are_refused_clearly(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_conditions([raw])


def test_the_faulty_condition_is_named_by_position() -> None:
    good = {"metric": "overdue", "operator": "gte", "value": "1"}
    with pytest.raises(ValueError, match="condition 2: "):
        parse_conditions([good, {"metric": "overdue", "operator": "gt", "value": "1"}])
    with pytest.raises(ValueError, match="condition 1: expected an object"):
        parse_conditions(["overdue >= 1"])  # type: ignore[list-item]


def test_paused_invoices_count_in_totals_and_settled_ones_do_not() -> None:
    today = date(2026, 12, 1)
    own = [
        InvoiceFigure(1, Decimal("100"), date(2026, 11, 1), InvoiceStatus.OPEN, paused=True),
        InvoiceFigure(1, Decimal("200"), date(2026, 12, 15), InvoiceStatus.OPEN),
        InvoiceFigure(1, Decimal("999"), date(2026, 11, 1), InvoiceStatus.PAID),
        InvoiceFigure(1, Decimal("999"), date(2026, 11, 1), InvoiceStatus.VOID),
        InvoiceFigure(1, Decimal("999"), date(2026, 11, 1), InvoiceStatus.WRITTEN_OFF),
        InvoiceFigure(1, Decimal("0"), date(2026, 11, 1), InvoiceStatus.OPEN),
    ]
    child = [InvoiceFigure(2, Decimal("50"), date(2026, 11, 30), InvoiceStatus.DISPUTED)]
    metrics = compute_metrics(own, child, "USD", today)
    assert (metrics.outstanding, metrics.overdue) == (Decimal(300), Decimal(100))
    assert (metrics.consolidated_outstanding, metrics.consolidated_overdue) == (Decimal(350), Decimal(150))


def test_an_invoice_due_today_is_not_yet_overdue() -> None:
    today = date(2026, 12, 1)
    metrics = compute_metrics([InvoiceFigure(1, Decimal(10), today, "open")], [], "USD", today)
    assert (metrics.outstanding, metrics.overdue) == (Decimal(10), Decimal(0))


def test_disputed_and_on_hold_invoices_still_count() -> None:
    today = date(2026, 12, 1)
    own = [
        InvoiceFigure(1, Decimal(10), date(2026, 11, 1), InvoiceStatus.DISPUTED),
        InvoiceFigure(1, Decimal(20), date(2026, 11, 1), InvoiceStatus.ON_HOLD),
    ]
    assert compute_metrics(own, [], "USD", today).overdue == Decimal(30)


def test_invoices_in_another_currency_are_left_out_as_the_sql_does() -> None:
    today = date(2026, 12, 1)
    own = [
        InvoiceFigure(1, Decimal(10), date(2026, 11, 1), "open", currency="USD"),
        InvoiceFigure(1, Decimal(99), date(2026, 11, 1), "open", currency="EUR"),
    ]
    assert compute_metrics(own, [], "USD", today).outstanding == Decimal(10)


figures = st.builds(
    InvoiceFigure,
    customer_id=st.integers(1, 5),
    balance_due=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    due_date=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    status=st.sampled_from(list(InvoiceStatus)),
    paused=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(figures, max_size=15),
    st.lists(figures, max_size=15),
    st.dates(date(2026, 1, 1), date(2027, 1, 1)),
)
def test_metrics_are_consistent_whatever_the_invoices(
    own: list[InvoiceFigure], descendants: list[InvoiceFigure], as_of: date
) -> None:
    m = compute_metrics(own, descendants, "USD", as_of)
    assert Decimal(0) <= m.overdue <= m.outstanding <= m.consolidated_outstanding
    assert m.overdue <= m.consolidated_overdue <= m.consolidated_outstanding
    for metric in (M.OVERDUE_PCT, M.CONSOLIDATED_OVERDUE_PCT):
        assert Decimal(0) <= m.value_of(metric) <= Decimal(100)
