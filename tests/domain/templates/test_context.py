"""The context templates see: open, unpaused invoices listed; paused, settled, foreign ones in the totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.conditions import Metrics
from domain.templates import DEFAULT_TEMPLATES, build_context, render_message, sample_context


def test_build_context_lists_open_unpaused_invoices_and_counts_paused_ones_in_totals() -> None:
    ctx = sample_context()
    assert [i.number for i in ctx.invoices] == ["INV-1042", "INV-1043"]
    overdue, upcoming = ctx.invoices
    assert (overdue.days_overdue, overdue.is_overdue, overdue.days_until_due) == (10, True, 0)
    assert (upcoming.days_overdue, upcoming.is_overdue, upcoming.days_until_due) == (0, False, 10)
    assert (ctx.totals.outstanding, ctx.totals.overdue, ctx.totals.count) == (
        Decimal("2970.50"),
        Decimal("2490.50"),
        3,
    )
    assert (ctx.totals.unlisted, ctx.totals.unlisted_count) == (Decimal("150.00"), 1)
    assert ctx.totals.outstanding_text == "$2,970.50"
    assert ctx.as_of_text == "December 2, 2026"


@dataclass(frozen=True)
class _Org:
    name: str = "Acme"
    sender_name: str = "AR"
    sender_email: str = "ar@acme.example"
    reply_to: str | None = None
    time_zone: str = "Europe/Berlin"


@dataclass(frozen=True)
class _Customer:
    id: int | None = 7
    external_id: str = "C-7"
    name: str = "Initech GmbH"
    currency: str = "EUR"
    locale: str = "de_DE"


@dataclass(frozen=True)
class _Invoice:
    number: str
    balance_due: Decimal
    status: str = "open"
    currency: str = "EUR"
    total: Decimal = Decimal("500")
    issue_date: date = date(2026, 10, 1)
    due_date: date = date(2026, 11, 1)
    collection_status: str = "in_collection"
    paused: bool = False
    pdf_url: str | None = None


def test_settled_foreign_and_engine_supplied_totals_are_handled() -> None:
    invoices = [
        _Invoice("A", Decimal("100")),
        _Invoice("B", Decimal("0")),
        _Invoice("C", Decimal("70"), status="paid"),
        _Invoice("D", Decimal("40"), currency="USD"),
    ]
    ctx = build_context(_Org(), _Customer(), invoices, as_of=date(2026, 12, 1))
    assert [i.number for i in ctx.invoices] == ["A", "D"]
    assert ctx.invoices[1].balance_due_text == "40,00\xa0$"
    assert (ctx.totals.outstanding, ctx.totals.count, ctx.totals.outstanding_text) == (
        Decimal("100.00"),
        1,
        "100,00\xa0€",
    )
    assert ctx.invoice is None and ctx.contact is None and ctx.specialist is None
    metrics = Metrics("EUR", Decimal("900"), Decimal("800"), Decimal("900"), Decimal("800"))
    from_sql = build_context(_Org(), _Customer(), invoices, as_of=date(2026, 12, 1), totals=metrics)
    assert (from_sql.totals.outstanding, from_sql.totals.overdue) == (Decimal("900.00"), Decimal("800.00"))


def test_a_statement_lists_the_oldest_hundred_invoices_and_sums_up_the_rest() -> None:
    from domain.templates import MAX_LISTED_INVOICES, balance_of
    from domain.templates.samples import _Customer, _Invoice, _Org

    as_of, issued, first_due = date(2026, 12, 2), date(2026, 10, 1), date(2026, 11, 1)
    invoices = [
        _Invoice(f"INV-{n:05d}", Decimal(10), Decimal(10), issued, first_due + timedelta(n))
        for n in range(MAX_LISTED_INVOICES + 25)
    ]
    held = _Invoice("INV-HELD", Decimal("7"), Decimal("7"), date(2026, 10, 1), date(2026, 11, 1), paused=True)
    everything = [*invoices, held]
    context = build_context(_Org(), _Customer(), everything, as_of=as_of)
    assert [i.number for i in context.invoices] == [f"INV-{n:05d}" for n in range(MAX_LISTED_INVOICES)]
    totals = context.totals
    assert (totals.count, totals.more_count, totals.more) == (126, 25, Decimal("250.00"))
    assert (totals.unlisted_count, totals.unlisted) == (1, Decimal("7.00"))
    assert totals.outstanding == Decimal("1257.00")
    # The database's sums give the same totals without loading the invoices beyond the list.
    summed = build_context(
        _Org(), _Customer(), invoices[:MAX_LISTED_INVOICES], as_of=as_of,
        balance=balance_of(everything, "USD", as_of),
    )  # fmt: skip
    assert summed.totals == totals and summed.invoices == context.invoices
    text = render_message(DEFAULT_TEMPLATES["customer_statement"], context).text_body
    assert "25 more open invoices, not listed: $250.00" in text
    assert "1 invoice paused, on hold or in dispute, not listed (included in the total): $7.00" in text
    assert text.count("INV-") == MAX_LISTED_INVOICES
