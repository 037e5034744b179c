"""The default templates validate, render with or without an invoice, and read well."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from domain.enums import Channel
from domain.templates import DEFAULT_TEMPLATES, render_message, sample_context, validate_template
from tests.domain.templates.conftest import LINE_BREAKS, with_customer


@pytest.mark.parametrize("slug", sorted(DEFAULT_TEMPLATES))
@pytest.mark.parametrize("with_invoice", [True, False])
def test_every_default_template_validates_and_renders_with_or_without_an_invoice(
    slug: str, with_invoice: bool
) -> None:
    source = DEFAULT_TEMPLATES[slug]
    validate_template(source)
    rendered = render_message(source, sample_context(with_invoice=with_invoice))
    everything = (rendered.subject or "") + rendered.text_body
    assert "Globex" in everything or "Jane Payables" in everything or slug == "sms_reminder"
    assert "Acme Industries" in everything
    if source.channel == Channel.EMAIL:
        assert rendered.subject and rendered.html_body
        assert "$" in rendered.text_body and "$" in rendered.html_body
    else:
        assert rendered.subject is None and rendered.html_body is None


def test_default_set_covers_the_cadence() -> None:
    assert set(DEFAULT_TEMPLATES) == {
        "reminder_before_due",
        "reminder_due_today",
        "overdue_1",
        "overdue_2",
        "overdue_3",
        "customer_statement",
        "internal_notification",
        "sms_reminder",
    }


def test_the_sms_reminder_is_short_and_text_only() -> None:
    for with_invoice in (True, False):
        sms = render_message(DEFAULT_TEMPLATES["sms_reminder"], sample_context(with_invoice=with_invoice))
        assert len(sms.text_body) < 320
        assert "<" not in sms.text_body


def test_the_statement_lists_open_invoices_and_carries_no_payment_details() -> None:
    rendered = render_message(DEFAULT_TEMPLATES["customer_statement"], sample_context(with_invoice=False))
    everything = (rendered.subject or "") + rendered.text_body + (rendered.html_body or "")
    lowered = everything.lower()
    for forbidden in ("iban", "routing", "account number", "swift", "bic", "pay now", "bank", "http", "href"):
        assert forbidden not in lowered, forbidden
    for listed in ("INV-1042", "INV-1043", "$2,340.50", "$480.00", "$2,970.50"):
        assert listed in rendered.text_body and listed in (rendered.html_body or "")
    assert "INV-1038" not in everything  # paused and disputed: counted, not listed
    assert "1 invoice paused, on hold or in dispute, not listed (included in the total): $150.00" in (
        rendered.text_body
    )


def test_overdue_reminders_escalate_in_tone() -> None:
    subjects = [
        render_message(DEFAULT_TEMPLATES[k], sample_context()).subject or ""
        for k in ("overdue_1", "overdue_2", "overdue_3")
    ]
    assert subjects == [
        "Invoice INV-1042 is now past due",
        "Second reminder: invoice INV-1042 is 10 days overdue",
        "Final notice: invoice INV-1042 is 10 days overdue",
    ]
    final = render_message(DEFAULT_TEMPLATES["overdue_3"], sample_context()).text_body
    assert "final notice" in final and "payment plan" in final


def test_reminders_link_the_invoice_pdf_when_there_is_one() -> None:
    ctx = sample_context()
    assert ctx.invoice is not None
    ctx = replace(ctx, invoice=replace(ctx.invoice, pdf_url="https://acme.example/i/1042.pdf?a=1&b=2"))
    rendered = render_message(DEFAULT_TEMPLATES["overdue_1"], ctx)
    assert '<a href="https://acme.example/i/1042.pdf?a=1&amp;b=2">invoice INV-1042</a>' in (
        rendered.html_body or ""
    )
    assert "A copy of the invoice is at https://acme.example/i/1042.pdf?a=1&b=2" in rendered.text_body


def test_the_internal_notification_addresses_the_specialist() -> None:
    rendered = render_message(DEFAULT_TEMPLATES["internal_notification"], sample_context())
    assert rendered.text_body.startswith("Hello Sam Specialist,")
    assert rendered.subject == "[Acme Industries] Globex Corporation: $2,490.50 overdue (INV-1042)"


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(sorted(DEFAULT_TEMPLATES)))
def test_any_customer_name_keeps_every_default_template_safe(name: str, slug: str) -> None:
    rendered = render_message(DEFAULT_TEMPLATES[slug], with_customer(name=name))
    if rendered.html_body is not None and name:
        assert str(escape(name)) in rendered.html_body or "Jane Payables" in rendered.html_body
        assert "<script" not in rendered.html_body.lower() or "<script" not in name.lower()
    assert rendered.subject is None or not any(c in rendered.subject for c in LINE_BREAKS)
