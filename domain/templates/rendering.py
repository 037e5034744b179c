"""Rendering templates safely: an immutable sandbox, strict undefined, and hard size limits.

HTML bodies are autoescaped; text bodies, subjects and SMS use a separate environment that
does not escape. Subjects lose CR/LF (no header injection). Loops and output are bounded so a
template saved by mistake (or malice) cannot stall a worker.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from jinja2 import StrictUndefined, Template
from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
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

MAX_SOURCE_CHARS = 100_000
MAX_OUTPUT_CHARS = 512_000
MAX_SUBJECT_CHARS = 998
MAX_LOOP_ITEMS = 10_000
# Nested loops multiply: the whole render may iterate at most this many `range` items.
MAX_RANGE_BUDGET = 100_000


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


class _Budget:
    def __init__(self) -> None:
        self.remaining = MAX_RANGE_BUDGET


@pass_context
def _bounded_range(context: Context, *args: int) -> range:
    items = range(*args)
    budget: _Budget = context["__budget__"]
    if len(items) > MAX_LOOP_ITEMS or len(items) > budget.remaining:
        raise TemplateTooLargeError(
            "", f"loop too long (at most {MAX_LOOP_ITEMS} items, {MAX_RANGE_BUDGET} in all)"
        )
    budget.remaining -= len(items)
    return items


@pass_context
def _money(context: Context, amount: Decimal | int | str, currency: str | None = None) -> str:
    customer = context.get("customer")
    code = currency or (customer.currency if customer is not None else "USD")
    locale = customer.locale if customer is not None else "en_US"
    return format_money(Decimal(str(amount)), code, locale)


@pass_context
def _date(context: Context, value: date, style: str = "medium") -> str:
    customer = context.get("customer")
    locale = customer.locale if customer is not None else "en_US"
    return str(
        format_date(
            value,
            style if style in ("short", "medium", "long", "full") else "medium",
            locale=locale,
        )
    )


def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined, auto_reload=False)
    env.globals = {"range": _bounded_range}
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)


def _line_of(exc: BaseException, filename: str = "<template>") -> int | None:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else None


def _compile(env: ImmutableSandboxedEnvironment, name: str, part: str, source: str) -> Template:
    label = f"{name} ({part})"
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateTooLargeError(label, f"template is over {MAX_SOURCE_CHARS:,} characters")
    try:
        return env.from_string(source)
    except JinjaSyntaxError as exc:
        raise TemplateSyntaxError(label, exc.message or str(exc), exc.lineno) from exc


def _render(template: Template, name: str, part: str, values: dict[str, Any], limit: int) -> str:
    label = f"{name} ({part})"
    pieces: list[str] = []
    size = 0
    try:
        stream: Iterator[str] = template.generate({**values, "__budget__": _Budget()})
        for piece in stream:
            size += len(piece)
            if size > limit:
                raise TemplateTooLargeError(label, f"output is over {limit:,} characters")
            pieces.append(piece)
    except TemplateTooLargeError as exc:
        raise TemplateTooLargeError(label, exc.message, _line_of(exc)) from exc
    except SecurityError as exc:
        raise TemplateSecurityError(label, f"not allowed: {exc}", _line_of(exc)) from exc
    except UndefinedError as exc:
        raise TemplateRenderError(label, exc.message or str(exc), _line_of(exc)) from exc
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateRenderError(label, f"{type(exc).__name__}: {exc}", _line_of(exc)) from exc
    return "".join(pieces)


def clean_subject(subject: str) -> str:
    """One line, trimmed and capped: CR/LF would let a subject inject mail headers."""
    return " ".join(subject.replace("\r", " ").replace("\n", " ").split())[:MAX_SUBJECT_CHARS]


def render_message(src: TemplateSource, ctx: RenderContext) -> RenderedMessage:
    values = ctx.as_dict()
    subject = None
    if src.subject is not None:
        subject = clean_subject(
            _render(
                _compile(TEXT_ENV, src.name, "subject", src.subject),
                src.name,
                "subject",
                values,
                4 * MAX_SUBJECT_CHARS,
            )
        )
    html = None
    if src.html_body is not None:
        html = _render(
            _compile(HTML_ENV, src.name, "html", src.html_body),
            src.name,
            "html",
            values,
            MAX_OUTPUT_CHARS,
        )
    text = _render(
        _compile(TEXT_ENV, src.name, "text", src.text_body),
        src.name,
        "text",
        values,
        MAX_OUTPUT_CHARS,
    )
    return RenderedMessage(subject=subject, html_body=html, text_body=text)


def validate_template(src: TemplateSource) -> None:
    """Compile every part and render it against sample data; raises TemplateError."""
    from domain.templates.samples import sample_context

    if src.channel == Channel.EMAIL and not src.subject:
        raise TemplateRenderError(src.name, "an email template needs a subject")
    render_message(src, sample_context())
