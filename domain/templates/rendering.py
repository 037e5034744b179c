"""Rendering message templates: an autoescaping sandbox for HTML, a plain one for text and subjects.

Subjects lose CR/LF (no header injection); source and output sizes are capped, and output is
counted while it streams so a runaway template stops early.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from jinja2 import Template
from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.utils import pass_context

from domain.enums import Channel
from domain.money import format_money
from domain.templates.context import RenderContext
from domain.templates.errors import (
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateTooLargeError,
)
from domain.templates.samples import sample_context
from domain.templates.sandbox import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    BoundedSandbox,
    render_budget,
)

MAX_SUBJECT_CHARS = 998  # RFC 5322 line length, and the delivery column
MAX_SMS_CHARS = 1_600  # Twilio refuses longer bodies
_DATE_STYLES = ("short", "medium", "long", "full")

__all__ = [
    "HTML_ENV",
    "MAX_OUTPUT_CHARS",
    "MAX_SMS_CHARS",
    "MAX_SOURCE_CHARS",
    "MAX_SUBJECT_CHARS",
    "TEXT_ENV",
    "RenderedMessage",
    "TemplateSource",
    "clean_subject",
    "render_message",
    "validate_template",
]


@dataclass(frozen=True, slots=True)
class TemplateSource:
    name: str
    channel: Channel
    subject: str | None
    html_body: str | None
    text_body: str


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str | None
    html_body: str | None
    text_body: str


def _locale(context: Context) -> str:
    customer = context.get("customer")
    return str(getattr(customer, "locale", None) or "en_US")


@pass_context
def _money(context: Context, amount: Decimal | int | str, currency: str | None = None) -> str:
    """`{{ amount|money }}` in the customer's currency, or `{{ amount|money('EUR') }}`."""
    code = currency or str(getattr(context.get("customer"), "currency", None) or "USD")
    return format_money(Decimal(str(amount)), code, _locale(context))


@pass_context
def _date(context: Context, value: date | datetime, style: str = "medium") -> str:
    """`{{ invoice.due_date|date }}` in the customer's locale; style short, medium, long or full."""
    if style not in _DATE_STYLES:
        raise ValueError(f"date style must be one of {', '.join(_DATE_STYLES)}")
    return str(format_date(value, style, locale=_locale(context)))


def _environment(autoescape: bool) -> BoundedSandbox:
    env = BoundedSandbox(autoescape=autoescape)
    env.add_filter("money", _money)
    env.add_filter("date", _date)
    return env


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)


def _line_of(exc: BaseException, filename: str = "<template>") -> int | None:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    # jinja2 rewrites tracebacks so that template frames carry the template's line numbers.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else None


@lru_cache(maxsize=256)
def _compiled(html: bool, source: str) -> Template:
    # Compiling is the slow part of a render; the same few templates render all day.
    return (HTML_ENV if html else TEXT_ENV).from_string(source)


def _compile(html: bool, label: str, source: str) -> Template:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateTooLargeError(label, f"template is over {MAX_SOURCE_CHARS:,} characters")
    try:
        return _compiled(html, source)
    except JinjaSyntaxError as exc:
        raise TemplateSyntaxError(label, exc.message or str(exc), exc.lineno) from exc
    except TemplateError as exc:
        raise type(exc)(label, exc.message, exc.line) from exc


def _render(template: Template, label: str, values: dict[str, Any], limit: int) -> str:
    pieces: list[str] = []
    size = 0
    try:
        with render_budget():
            for piece in template.generate(values):
                size += len(piece)
                if size > limit:
                    raise TemplateTooLargeError(label, f"output is over {limit:,} characters")
                pieces.append(piece)
    except TemplateTooLargeError as exc:
        raise TemplateTooLargeError(label, exc.message, exc.line or _line_of(exc)) from exc
    except SecurityError as exc:
        raise TemplateSecurityError(label, f"not allowed: {exc}", _line_of(exc)) from exc
    except UndefinedError as exc:
        raise TemplateRenderError(label, exc.message or str(exc), _line_of(exc)) from exc
    except TemplateError:
        raise
    except Exception as exc:  # a template's bug must surface as a TemplateError, whatever it is
        raise TemplateRenderError(label, f"{type(exc).__name__}: {exc}", _line_of(exc)) from exc
    return "".join(pieces)


def _part(src: TemplateSource, part: str, source: str, values: dict[str, Any], limit: int) -> str:
    label = f"{src.name} ({part})"
    return _render(_compile(part == "html", label, source), label, values, limit)


def clean_subject(subject: str) -> str:
    """One line, trimmed and capped: a CR or LF in a subject could inject mail headers."""
    return " ".join(subject.split())[:MAX_SUBJECT_CHARS]


def render_message(src: TemplateSource, ctx: RenderContext) -> RenderedMessage:
    """Subject, HTML and text of one message; raises a TemplateError naming the part and line at fault.

    SMS templates render their text body only.
    """
    values = ctx.as_dict()
    if src.channel == Channel.SMS:
        text = _part(src, "text", src.text_body, values, MAX_OUTPUT_CHARS)
        if len(text) > MAX_SMS_CHARS:
            raise TemplateTooLargeError(
                f"{src.name} (text)", f"an SMS is limited to {MAX_SMS_CHARS:,} characters"
            )
        return RenderedMessage(subject=None, html_body=None, text_body=text)
    subject = None
    if src.subject is not None:
        subject = clean_subject(_part(src, "subject", src.subject, values, 4 * MAX_SUBJECT_CHARS))
    html = None
    if src.html_body is not None:
        html = _part(src, "html", src.html_body, values, MAX_OUTPUT_CHARS)
    text = _part(src, "text", src.text_body, values, MAX_OUTPUT_CHARS)
    return RenderedMessage(subject=subject, html_body=html, text_body=text)


def validate_template(src: TemplateSource) -> None:
    """Check a template when it is saved: its shape for the channel, then every part compiled and
    rendered against sample data. Raises a TemplateError."""
    if src.channel == Channel.EMAIL and not (src.subject or "").strip():
        raise TemplateError(src.name, "an email template needs a subject")
    if src.channel == Channel.SMS and (src.subject or src.html_body):
        raise TemplateError(src.name, "an SMS template has a text body only (no subject, no HTML)")
    if not src.text_body.strip():
        raise TemplateError(src.name, "the text body is empty")
    rendered = render_message(src, sample_context())
    if src.channel == Channel.EMAIL and not rendered.subject:
        raise TemplateError(f"{src.name} (subject)", "the subject renders empty")
