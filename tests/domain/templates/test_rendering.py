"""Rendering: HTML escaped and text not, single-line capped subjects, money and dates, message shape."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from domain.enums import Channel
from domain.templates import (
    DEFAULT_TEMPLATES,
    TemplateError,
    TemplateSource,
    TemplateTooLargeError,
    render_message,
    sample_context,
    validate_template,
)
from tests.domain.templates.conftest import LINE_BREAKS, email, text_of, with_customer

# -- escaping and headers ----------------------------------------------------------------------


def test_html_is_escaped_and_text_is_not() -> None:
    ctx = with_customer(name="<script>alert(1)</script> & Co")
    rendered = render_message(email("{{ customer.name }}", html="<p>{{ customer.name }}</p>"), ctx)
    assert rendered.html_body == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</p>"
    assert rendered.text_body == "<script>alert(1)</script> & Co"


def test_static_html_in_loops_macros_and_concatenations_is_not_escaped() -> None:
    html = (
        "{% macro row(n) %}<td>{{ n }}</td>{% endmacro %}"
        "<table>{% for i in invoices %}<tr>{{ row(i.number) }}</tr>{% endfor %}</table>"
        "{{ '<b>' ~ customer.name ~ '</b>' }}"
    )
    rendered = render_message(email("x", html=html), with_customer(name="A&B"))
    assert rendered.html_body == (
        "<table><tr><td>INV-1042</td></tr><tr><td>INV-1043</td></tr></table>&lt;b&gt;A&amp;B&lt;/b&gt;"
    )


def test_subjects_lose_line_breaks_so_headers_cannot_be_injected() -> None:
    ctx = with_customer(name="Globex\r\nBcc: all@evil.example")
    rendered = render_message(email("x", subject="Invoice for {{ customer.name }}\n"), ctx)
    assert rendered.subject == "Invoice for Globex Bcc: all@evil.example"


def test_subjects_are_capped_at_998_characters() -> None:
    rendered = render_message(email("x", subject="{{ 'a' * 3000 }}"), sample_context())
    assert rendered.subject == "a" * 998


# -- money and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "locale", "expected"),
    [
        ("USD", "en_US", "$2,340.50 | Nov 22, 2026 | $1,234.50"),
        ("USD", "de_DE", "2.340,50\xa0$ | 22.11.2026 | 1.234,50\xa0$"),
        ("EUR", "de_DE", "2.340,50\xa0$ | 22.11.2026 | 1.234,50\xa0€"),
        ("JPY", "en_US", "$2,340.50 | Nov 22, 2026 | ¥1,235"),
        ("JPY", "de_DE", "2.340,50\xa0$ | 22.11.2026 | 1.235\xa0¥"),
    ],
)
def test_money_and_dates_follow_the_customer_currency_and_locale(
    currency: str, locale: str, expected: str
) -> None:
    ctx = sample_context()
    base = replace(ctx.customer, currency=currency, locale=locale)
    # The invoice keeps its own currency (USD); the money filter defaults to the customer's.
    body = "{{ invoice.balance_due|money('USD') }} | {{ invoice.due_date|date }} | {{ '1234.5'|money }}"
    assert text_of(body, replace(ctx, customer=base)) == expected


# -- the shape of a message --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (email("body", subject=""), "needs a subject"),
        (email("body", subject="{{ '' }}"), "subject renders empty"),
        (email("   "), "text body is empty"),
        (TemplateSource("S", Channel.SMS, None, "<p>x</p>", "x"), "text body only"),
        (TemplateSource("S", Channel.SMS, "Subject", None, "x"), "text body only"),
    ],
)
def test_templates_of_the_wrong_shape_are_refused_at_save_time(source: TemplateSource, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        validate_template(source)


def test_an_sms_longer_than_twilio_accepts_is_refused() -> None:
    sms = TemplateSource("S", Channel.SMS, None, None, "{{ 'x' * 1601 }}")
    with pytest.raises(TemplateTooLargeError, match="SMS"):
        render_message(sms, sample_context())


def test_rendering_is_deterministic() -> None:
    for source in DEFAULT_TEMPLATES.values():
        assert render_message(source, sample_context()) == render_message(source, sample_context())


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_customer_name_is_escaped_in_html_and_single_line_in_subjects(name: str) -> None:
    ctx = with_customer(name=name)
    rendered = render_message(
        email("{{ customer.name }}", subject="To {{ customer.name }}", html="<b>{{ customer.name }}</b>"), ctx
    )
    assert rendered.html_body == f"<b>{escape(name)}</b>"
    assert "<" not in (rendered.html_body or "")[3:-4]
    assert rendered.text_body == name
    assert not any(c in (rendered.subject or "") for c in LINE_BREAKS)
