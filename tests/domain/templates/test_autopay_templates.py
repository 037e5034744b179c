"""Auto-pay templates of their own, telling the payment date and the anchor it came from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.templates import (
    AUTOPAY_TEMPLATES,
    default_autopay_slug,
    payment_view,
    render_message,
    sample_context,
    validate_template,
)
from domain.templates.samples import _Invoice


@pytest.mark.parametrize("slug", sorted(AUTOPAY_TEMPLATES))
@pytest.mark.parametrize("with_payment", [True, False])
def test_autopay_templates_render_with_or_without_a_payment(slug: str, with_payment: bool) -> None:
    validate_template(AUTOPAY_TEMPLATES[slug])
    rendered = render_message(AUTOPAY_TEMPLATES[slug], sample_context(with_payment=with_payment))
    assert "INV-1042" in (rendered.subject or "")
    assert "{{" not in rendered.text_body


def test_the_upcoming_payment_notice_names_the_payment_date_and_its_anchor() -> None:
    rendered = render_message(AUTOPAY_TEMPLATES["autopay_upcoming_payment"], sample_context())
    assert rendered.subject == "Upcoming automatic payment for invoice INV-1042 on November 22, 2026"
    assert "will be taken on November 22, 2026 (the due date of the invoice)" in rendered.text_body
    assert "$2,340.50" in rendered.text_body


def test_the_payment_date_comes_from_the_scheduled_date_else_the_customers_anchor() -> None:
    invoice = _Invoice(
        "INV-9",
        total=Decimal("10"),
        balance_due=Decimal("10"),
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        discount_end_date=date(2026, 11, 11),
    )
    assert (payment_view(invoice, "invoice_date").day, payment_view(invoice, "invoice_date").source_text) == (
        date(2026, 11, 1),
        "the invoice date",
    )
    assert payment_view(invoice, "discount_end").source_text == "the end of the discount period"
    assert payment_view(invoice, "discount_end").day == date(2026, 11, 11)
    assert payment_view(invoice, "due_date").date_text == "December 1, 2026"
    no_discount = _Invoice("INV-10", invoice.total, invoice.balance_due, invoice.issue_date, invoice.due_date)
    assert payment_view(no_discount, "discount_end").source == "due_date"
    scheduled = _Invoice(
        "INV-11",
        invoice.total,
        invoice.balance_due,
        invoice.issue_date,
        invoice.due_date,
        scheduled_payment_date=date(2026, 12, 5),
    )
    assert (payment_view(scheduled, "due_date").day, payment_view(scheduled, "due_date").source) == (
        date(2026, 12, 5),
        "scheduled",
    )


def test_autopay_steps_pick_the_autopay_templates_by_default() -> None:
    assert default_autopay_slug(-3) == "autopay_upcoming_payment"
    assert default_autopay_slug(0) == "autopay_payment_taken"
    assert default_autopay_slug(2) == "autopay_payment_failed"
