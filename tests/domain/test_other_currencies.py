"""Money in other currencies is not silently ignored: the explanation and the context say so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.conditions import InvoiceFigure, compute_metrics, evaluate, parse_conditions
from domain.enums import InvoiceStatus

AS_OF = date(2026, 12, 2)
DUE = date(2026, 11, 1)


def test_the_condition_explanation_says_invoices_in_other_currencies_were_left_out_and_why() -> None:
    own = [
        InvoiceFigure(1, Decimal(50), DUE, InvoiceStatus.OPEN),
        InvoiceFigure(1, Decimal(5000), DUE, InvoiceStatus.OPEN, currency="EUR"),
        InvoiceFigure(1, Decimal(10), DUE, InvoiceStatus.OPEN, currency="GBP"),
        InvoiceFigure(1, Decimal(99), DUE, InvoiceStatus.PAID, currency="EUR"),  # closed: not mentioned
    ]
    metrics = compute_metrics(own, [], "USD", AS_OF)
    assert (metrics.outstanding, metrics.other_currency_count, metrics.other_currencies) == (
        Decimal(50),
        2,
        ("EUR", "GBP"),
    )
    evaluation = evaluate(
        parse_conditions([{"metric": "outstanding", "operator": "gte", "value": "100"}]), metrics
    )
    assert not evaluation.held
    assert evaluation.explanation == (
        "Outstanding >= 100.00 USD (was 50.00 USD) (2 open invoices in EUR, GBP left out: amounts are "
        "compared in USD, the customer's home currency, and other currencies are not converted)"
    )


def test_with_every_invoice_in_the_home_currency_nothing_more_is_said() -> None:
    metrics = compute_metrics([InvoiceFigure(1, Decimal(500), DUE, InvoiceStatus.OPEN)], [], "USD", AS_OF)
    evaluation = evaluate(
        parse_conditions([{"metric": "outstanding", "operator": "gte", "value": "100"}]), metrics
    )
    assert evaluation.explanation == "Outstanding >= 100.00 USD (was 500.00 USD)"
