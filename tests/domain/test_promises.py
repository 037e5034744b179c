"""Promises to pay and disputes, the pure rules: what may be promised, the deadline, what was
paid toward a promise, kept or broken, and what resolving a dispute does to the invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from domain.disputes import status_after_resolution
from domain.enums import CatchUpPolicy, CollectionStatus, DisputeState, PromiseState
from domain.promises import (
    Candidate,
    Covered,
    PromiseError,
    check_promise,
    coverable,
    deadline,
    if_broken,
    outcome,
    paid_so_far,
    payment_words,
)
from domain.schedules import OrgCalendar, plan_next
from tests.domain.conftest import context, invoice, invoice_spec

TODAY = date(2026, 12, 3)


def _invoice(**overrides: object) -> Candidate:
    values: dict[str, object] = {
        "invoice_id": 1,
        "number": "INV-1",
        "customer_id": 7,
        "currency": "USD",
        "status": "open",
        "balance_due": Decimal("100.00"),
        "collection_status": "in_collection",
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def _check(
    invoices: list[Candidate],
    *,
    when: date = TODAY,
    amount: Decimal | None = None,
    taken: list[str] | None = None,
) -> Decimal:
    return check_promise(
        customer_id=7,
        invoices=invoices,
        promised_date=when,
        today=TODAY,
        amount=amount,
        already_promised=taken or [],
    )


def test_a_promise_defaults_to_the_covered_balance_and_keeps_a_given_amount() -> None:
    invoices = [_invoice(), _invoice(invoice_id=2, number="INV-2", balance_due=Decimal("50.00"))]
    assert _check(invoices) == Decimal("150.00")
    assert _check(invoices, amount=Decimal("80.00")) == Decimal("80.00")


@pytest.mark.parametrize(
    ("invoices", "kwargs", "code"),
    [
        ([_invoice()], {"when": date(2026, 12, 2)}, "promise_date_in_past"),
        ([_invoice()], {"amount": Decimal("0")}, "promise_amount_not_positive"),
        ([_invoice()], {"amount": Decimal("-5")}, "promise_amount_not_positive"),
        ([_invoice()], {"amount": Decimal("100.01")}, "promise_amount_above_balance"),
        ([], {}, "nothing_to_promise"),
        ([_invoice(customer_id=8)], {}, "invoice_of_another_customer"),
        ([_invoice(status="paid", balance_due=Decimal(0))], {}, "invoice_closed"),
        ([_invoice(collection_status="disputed")], {}, "invoice_disputed"),
        ([_invoice(), _invoice(invoice_id=2, currency="EUR")], {}, "promise_mixed_currencies"),
        ([_invoice()], {"taken": ["INV-1"]}, "promise_overlaps"),
    ],
)
def test_what_cannot_be_promised_is_refused_with_its_code(
    invoices: list[Candidate], kwargs: dict[str, object], code: str
) -> None:
    with pytest.raises(PromiseError) as refused:
        _check(invoices, **kwargs)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert refused.value.conflict is (code == "promise_overlaps")


def test_the_whole_balance_leaves_out_disputed_and_held_invoices_but_not_promised_ones() -> None:
    assert coverable(_invoice())
    assert coverable(_invoice(collection_status="promised"))  # then refused as an overlap
    assert not coverable(_invoice(collection_status="disputed"))
    assert not coverable(_invoice(collection_status="on_hold"))
    assert not coverable(_invoice(status="on_hold"))
    assert not coverable(_invoice(status="paid"))


def test_the_deadline_is_the_send_time_grace_days_after_the_promised_date_in_the_zone() -> None:
    calendar = OrgCalendar(time_zone="America/New_York", send_time=time(14, 30))
    assert deadline(date(2026, 12, 11), 2, calendar) == datetime(2026, 12, 13, 19, 30, tzinfo=UTC)
    # Across the spring change the wall time holds: 14:30 EDT is 18:30 UTC.
    assert deadline(date(2027, 3, 12), 2, calendar) == datetime(2027, 3, 14, 18, 30, tzinfo=UTC)
    assert deadline(date(2026, 12, 11), 0, calendar) == datetime(2026, 12, 11, 19, 30, tzinfo=UTC)


def test_paid_so_far_counts_payments_since_the_promise_and_never_a_void() -> None:
    covered = [
        Covered(number="A", balance_at_promise=Decimal("100"), status="paid", balance_due=Decimal(0)),
        Covered(number="B", balance_at_promise=Decimal("100"), status="open", balance_due=Decimal("60")),
        Covered(number="C", balance_at_promise=Decimal("100"), status="void", balance_due=Decimal(0)),
        # A balance that grew (a correction) pays nothing, and takes nothing away.
        Covered(number="D", balance_at_promise=Decimal("100"), status="open", balance_due=Decimal("120")),
    ]
    assert paid_so_far(covered) == Decimal("140")


def test_kept_once_paid_in_full_broken_at_the_deadline_otherwise_open_before() -> None:
    due = datetime(2026, 12, 13, 19, 30, tzinfo=UTC)
    before, at = datetime(2026, 12, 12, tzinfo=UTC), due
    part = [Covered(number="A", balance_at_promise=Decimal("100"), status="open", balance_due=Decimal("40"))]
    full = [Covered(number="A", balance_at_promise=Decimal("100"), status="paid", balance_due=Decimal(0))]
    assert outcome(Decimal("100"), part, due, before) == PromiseState.OPEN
    assert outcome(Decimal("100"), part, due, at) == PromiseState.BROKEN
    assert outcome(Decimal("100"), full, due, at) == PromiseState.KEPT
    # Promised less than the balance: paying the promised amount keeps it.
    assert outcome(Decimal("60"), part, due, at) == PromiseState.KEPT


def test_partial_payment_and_the_consequence_of_breaking_are_said_in_words() -> None:
    assert payment_words(Decimal(0), Decimal("2340.50"), "USD") == "nothing paid of 2,340.50 USD"
    assert (
        payment_words(Decimal("1000"), Decimal("2340.50"), "USD") == "partly paid: 1,000.00 of 2,340.50 USD"
    )
    assert payment_words(Decimal("2340.50"), Decimal("2340.50"), "USD").startswith("paid in full")
    assert if_broken(["INV-1", "INV-2"], "ar@acme.example") == (
        "dunning resumes for INV-1, INV-2, task for ar@acme.example"
    )
    assert "nobody" in if_broken(["INV-1"], None)


def test_an_upheld_dispute_stays_out_of_the_cadence_a_rejected_one_is_back_in_collection() -> None:
    assert status_after_resolution(DisputeState.UPHELD) == CollectionStatus.DISPUTED
    assert status_after_resolution(DisputeState.REJECTED) == CollectionStatus.IN_COLLECTION
    # Rejected while an open promise covers it: back under the promise, not reminded before its date.
    assert status_after_resolution(DisputeState.REJECTED, promised=True) == CollectionStatus.PROMISED
    assert status_after_resolution(DisputeState.UPHELD, promised=True) == CollectionStatus.DISPUTED
    with pytest.raises(ValueError):
        status_after_resolution(DisputeState.OPEN)


# --- what fell due while an invoice was held, once it is back -----------------------------


def _ny(d: int, hh: int = 14, mm: int = 30) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2026, 12, d, hh, mm, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


@pytest.mark.parametrize("policy", [CatchUpPolicy.SKIP, CatchUpPolicy.LATEST])
def test_reminders_that_fell_due_while_disputed_meet_the_catch_up_policy_once_it_is_rejected(
    policy: CatchUpPolicy,
) -> None:
    # Reminders on 2, 4 and 6 Dec; disputed on 1 Dec, rejected on 7 Dec at 10:00. The engine's
    # last plan (its cursor) was at 09:00 that day: no plan saw the three reminders.
    held = invoice(1, date(2026, 12, 4), held_between=(_ny(1, 9, 0), _ny(7, 10, 0)))
    spec = invoice_spec(-2, 0, 2, catch_up=policy)
    plan = plan_next(spec, context(held), OrgCalendar(), cursor=_ny(7, 9, 0), as_of=_ny(7, 10, 0))
    expected_due = [] if policy == CatchUpPolicy.SKIP else [date(2026, 12, 6)]
    assert [o.local_date for o in plan.due] == expected_due  # never a burst
    assert len(plan.due) + len(plan.missed) == 3
    # Planned again later, the window is behind the cursor: nothing comes back twice.
    again = plan_next(spec, context(held), OrgCalendar(), cursor=_ny(7, 10, 0), as_of=_ny(8, 10, 0))
    assert again.due == () and again.missed == ()


def test_an_invoice_still_held_or_back_before_the_last_plan_adds_nothing() -> None:
    spec = invoice_spec(-2, 0, 2, catch_up=CatchUpPolicy.LATEST)
    earlier = invoice(1, date(2026, 12, 4), held_between=(_ny(1, 9, 0), _ny(6, 20, 0)))
    plan = plan_next(spec, context(earlier), OrgCalendar(), cursor=_ny(7, 9, 0), as_of=_ny(7, 10, 0))
    assert plan.due == () and plan.missed == ()
    still = invoice(1, date(2026, 12, 4), collection_status="disputed", held_between=(_ny(1), _ny(7, 10, 0)))
    plan = plan_next(spec, context(still), OrgCalendar(), cursor=_ny(7, 9, 0), as_of=_ny(7, 10, 0))
    assert plan.due == () and plan.missed == ()
