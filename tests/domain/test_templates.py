"""Templates render safely: strict, sandboxed, bounded, escaped in HTML, deterministic; defaults read well."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from domain.conditions import Metrics
from domain.enums import Channel
from domain.templates import (
    DEFAULT_TEMPLATES,
    MAX_SOURCE_CHARS,
    RenderContext,
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSource,
    TemplateSyntaxError,
    TemplateTooLargeError,
    build_context,
    render_message,
    sample_context,
    validate_template,
)

LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def email(body: str, subject: str = "Hello", html: str | None = None) -> TemplateSource:
    return TemplateSource(
        name="Test template", channel=Channel.EMAIL, subject=subject, html_body=html, text_body=body
    )


def text_of(body: str, ctx: RenderContext | None = None) -> str:
    return render_message(email(body), ctx or sample_context()).text_body


def with_customer(**changes: object) -> RenderContext:
    ctx = sample_context()
    return replace(ctx, customer=replace(ctx.customer, **changes))  # type: ignore[arg-type]


# -- errors name the template, the part and the line ------------------------------------------


def test_an_unknown_variable_names_the_template_part_and_line() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render_message(
            email("Dear {{ customer.name }},\n\nYou owe {{ invoice.amount_due }}."), sample_context()
        )
    assert caught.value.template_name == "Test template (text)"
    assert caught.value.line == 3
    assert "amount_due" in str(caught.value)
    assert str(caught.value).startswith("Test template (text), line 3: ")


def test_an_undefined_name_in_the_subject_is_reported_against_the_subject() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render_message(email("ok", subject="Hi {{ nobody }}"), sample_context())
    assert caught.value.template_name == "Test template (subject)"
    assert caught.value.line == 1


def test_a_syntax_error_is_refused_at_save_time_with_its_line() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        validate_template(email("Hello\nthere\n{{ customer.name | }}"))
    assert caught.value.template_name == "Test template (text)"
    assert caught.value.line == 3
    with pytest.raises(TemplateSyntaxError, match="line 2: Unexpected end of template"):
        validate_template(email("Hello\n{% if customer %}\nno end"))


def test_a_failing_filter_is_a_render_error_not_a_crash() -> None:
    with pytest.raises(TemplateRenderError, match="line 2"):
        render_message(email("ok\n{{ 'abc'|money }}"), sample_context())


def test_all_template_errors_share_one_base_class() -> None:
    for error in (TemplateSyntaxError, TemplateRenderError, TemplateSecurityError, TemplateTooLargeError):
        assert issubclass(error, TemplateError)


# -- the sandbox --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ customer.__class__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ customer.name.__class__.__base__.__subclasses__() }}",
        "{{ joiner.__init__.__globals__['__builtins__'] }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ invoices.__class__.__mro__[1].__subclasses__() }}",
        "{{ '{0.__class__}'.format(customer) }}",
        "{{ 'x'.translate({}) }}",
    ],
)
def test_sandbox_escapes_are_refused_as_security_errors(attack: str) -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        render_message(email(attack), sample_context())
    assert caught.value.line == 1


@pytest.mark.parametrize("mutation", ["{{ [1].append(2) }}", "{{ {}.update(a=1) }}"])
def test_lists_dicts_and_sets_cannot_be_modified(mutation: str) -> None:
    with pytest.raises(TemplateSecurityError):
        render_message(email(mutation), sample_context())


def test_randomness_and_lorem_ipsum_are_not_available() -> None:
    with pytest.raises(TemplateSyntaxError, match="random"):
        render_message(email("{{ invoices|random }}"), sample_context())
    with pytest.raises(TemplateRenderError, match="lipsum"):
        render_message(email("{{ lipsum(100) }}"), sample_context())


# -- bounded work --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "runaway",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% for i in range(10001) %}{% endfor %}",
        "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
        "{% set r = range(10000) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}",
        "{% set s = 'x' * 1000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ ['x'] * 10**9 }}",
        "{{ 9 ** (9 ** 9) }}",
        "{{ 'x'|center(10**9) }}",
        "{{ ('x' * 100000)|replace('', 'y' * 1000) }}",
        "{{ ('x' * 100000).replace('', 'y' * 1000) }}",
        "{{ 'x'.ljust(10**9) }}",
        "{{ (1).to_bytes(10**9, 'big') }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '%*d'|format(10**9, 1) }}",
        "{{ ('y' * 1000)|join('x' * 100000) }}",
        "{% macro grow(s) %}{{ grow(s ~ s) }}{% endmacro %}{{ grow('x') }}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% set x %}{% for i in range(10000) %}{{ 'y' * 500 }}{% endfor %}{% endset %}",
        "{% macro m() %}{% for i in range(10000) %}"
        + "z" * 300
        + "{% endfor %}{% endmacro %}{{ m()|length }}",
    ],
)
def test_runaway_templates_are_stopped_quickly(runaway: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateTooLargeError):
        render_message(email(runaway), sample_context())
    assert time.monotonic() - started < 2


def test_unbounded_recursion_is_an_error_not_a_hang() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError):
        render_message(email("{% for x in [1] recursive %}{{ loop([1, 2]) }}{% endfor %}"), sample_context())
    assert time.monotonic() - started < 2


def test_huge_output_is_stopped_while_it_streams() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateTooLargeError, match="output is over 512,000 characters"):
        render_message(email("{% for i in range(9000) %}{{ 'x' * 100 }}{% endfor %}"), sample_context())
    assert time.monotonic() - started < 2


def test_an_oversized_template_is_refused_before_compiling() -> None:
    with pytest.raises(TemplateTooLargeError, match="over 100,000 characters"):
        validate_template(email("x" * (MAX_SOURCE_CHARS + 1)))


def test_ordinary_template_features_still_work_inside_the_limits() -> None:
    body = (
        "{% for i in range(3) %}{{ loop.index }}/{{ loop.length }} {% endfor %}"
        "{{ invoices|map(attribute='number')|join(', ') }} "
        "{{ 'Hi %s'|format(customer.name) }} {{ 'a b c'.split()|join('-') }} {{ '-' * 3 }} "
        "{% set ns = namespace(n=0) %}{% for i in invoices %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }} "
        "{% set c = cycler('odd', 'even') %}{{ c.next() }} {{ c.next() }} {{ 2 ** 10 }} "
        "{{ customer.name|upper|center(22) }}|"
    )
    assert text_of(body) == (
        "1/3 2/3 3/3 INV-1042, INV-1043 Hi Globex Corporation a-b-c --- 2 odd even 1024 "
        "  GLOBEX CORPORATION  |"
    )


# -- escaping and headers ------------------------------------------------------------------------


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


# -- money, dates and the context ------------------------------------------------------------------


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


# -- validation and defaults -----------------------------------------------------------------------


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
    assert "INV-1038" not in everything  # paused: counted, not listed
    assert "Invoices on hold, not listed: $150.00" in rendered.text_body


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


def test_rendering_is_deterministic() -> None:
    for source in DEFAULT_TEMPLATES.values():
        assert render_message(source, sample_context()) == render_message(source, sample_context())


# -- properties --------------------------------------------------------------------------------------


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


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(sorted(DEFAULT_TEMPLATES)))
def test_any_customer_name_keeps_every_default_template_safe(name: str, slug: str) -> None:
    rendered = render_message(DEFAULT_TEMPLATES[slug], with_customer(name=name))
    if rendered.html_body is not None and name:
        assert str(escape(name)) in rendered.html_body or "Jane Payables" in rendered.html_body
        assert "<script" not in rendered.html_body.lower() or "<script" not in name.lower()
    assert rendered.subject is None or not any(c in rendered.subject for c in LINE_BREAKS)


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
    assert "Invoices on hold, not listed: $7.00" in text
    assert text.count("INV-") == MAX_LISTED_INVOICES
