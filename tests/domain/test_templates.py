"""Templates render safely: strict, sandboxed, bounded, escaped where HTML, with good defaults."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import Channel
from domain.money import format_amount, format_money, quantize
from domain.templates import (
    DEFAULT_TEMPLATES,
    MAX_SOURCE_CHARS,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSource,
    TemplateSyntaxError,
    TemplateTooLargeError,
    render_message,
    sample_context,
    validate_template,
)


def email(body: str, subject: str = "Hello", html: str | None = None) -> TemplateSource:
    return TemplateSource(
        name="Test template", channel=Channel.EMAIL, subject=subject, html_body=html, text_body=body
    )


def test_an_unknown_variable_names_the_template_and_the_line() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render_message(
            email("Dear {{ customer.name }},\n\nYou owe {{ invoice.amount_due }}."), sample_context()
        )
    assert caught.value.template_name == "Test template (text)"
    assert caught.value.line == 3
    assert "amount_due" in str(caught.value)


def test_a_syntax_error_is_refused_at_save_time() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        validate_template(email("Hi {% if customer %}"))
    assert caught.value.line == 1


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ customer.__class__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ customer.name.__class__.__base__.__subclasses__() }}",
    ],
)
def test_sandbox_escapes_are_refused(attack: str) -> None:
    with pytest.raises((TemplateSecurityError, TemplateRenderError)):
        render_message(email(attack), sample_context())


def test_an_unbounded_loop_is_stopped_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateTooLargeError):
        render_message(email("{% for i in range(10**9) %}x{% endfor %}"), sample_context())
    with pytest.raises(TemplateTooLargeError):
        render_message(
            email("{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}"),
            sample_context(),
        )
    assert time.monotonic() - started < 2


def test_huge_output_is_refused() -> None:
    with pytest.raises(TemplateTooLargeError, match="output"):
        render_message(email("{% for i in range(9000) %}{{ 'x' * 100 }}{% endfor %}"), sample_context())


def test_an_oversized_template_is_refused() -> None:
    with pytest.raises(TemplateTooLargeError, match="characters"):
        validate_template(email("x" * (MAX_SOURCE_CHARS + 1)))


def test_html_is_escaped_and_text_is_not() -> None:
    ctx = sample_context()
    ctx = replace(ctx, customer=replace(ctx.customer, name="<script>alert(1)</script> & Co"))
    rendered = render_message(email("{{ customer.name }}", html="<p>{{ customer.name }}</p>"), ctx)
    assert rendered.html_body == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</p>"
    assert rendered.text_body == "<script>alert(1)</script> & Co"


def test_subjects_lose_line_breaks_so_headers_cannot_be_injected() -> None:
    ctx = sample_context()
    ctx = replace(ctx, customer=replace(ctx.customer, name="Globex\r\nBcc: all@evil.example"))
    rendered = render_message(email("x", subject="Invoice for {{ customer.name }}"), ctx)
    assert rendered.subject == "Invoice for Globex Bcc: all@evil.example"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
        ("1234.5", "JPY", "en_US", "¥1,235"),
        ("1234.5", "EUR", "en_US", "€1,234.50"),
    ],
)
def test_money_is_formatted_for_the_customer_currency_and_locale(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


def test_every_default_template_validates_and_renders() -> None:
    for slug, source in DEFAULT_TEMPLATES.items():
        validate_template(source)
        rendered = render_message(source, sample_context())
        assert "INV-1042" in rendered.text_body or slug in ("customer_statement",), slug
    sms = render_message(DEFAULT_TEMPLATES["sms_reminder"], sample_context())
    assert len(sms.text_body) < 320 and sms.html_body is None


def test_the_statement_carries_no_payment_details() -> None:
    rendered = render_message(DEFAULT_TEMPLATES["customer_statement"], sample_context())
    text = (rendered.text_body + (rendered.html_body or "")).lower()
    for forbidden in ("iban", "routing", "account number", "swift", "pay now", "bank"):
        assert forbidden not in text
    assert "INV-1042" in rendered.text_body and "INV-1043" in rendered.text_body


def test_overdue_reminders_escalate_in_tone() -> None:
    subjects = [
        render_message(DEFAULT_TEMPLATES[k], sample_context()).subject or ""
        for k in ("overdue_1", "overdue_2", "overdue_3")
    ]
    assert "past due" in subjects[0] and "Second reminder" in subjects[1] and "Final notice" in subjects[2]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_customer_name_is_escaped_in_html_and_single_line_in_subjects(name: str) -> None:
    ctx = sample_context()
    ctx = replace(ctx, customer=replace(ctx.customer, name=name))
    rendered = render_message(
        email("{{ customer.name }}", subject="To {{ customer.name }}", html="<b>{{ customer.name }}</b>"), ctx
    )
    assert "<" not in (rendered.html_body or "")[3:-4]
    assert "\r" not in (rendered.subject or "") and "\n" not in (rendered.subject or "")


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from(["USD", "EUR", "JPY", "GBP", "KWD"]),
)
def test_format_amount_round_trips_the_quantized_value(amount: Decimal, currency: str) -> None:
    shown = format_amount(amount, currency)
    number, code = shown.rsplit(" ", 1)
    assert code == currency
    assert Decimal(number.replace(",", "")) == quantize(amount, currency)
