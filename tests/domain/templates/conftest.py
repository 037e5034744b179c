"""Shared builders for the template tests."""

from __future__ import annotations

from dataclasses import replace

from domain.enums import Channel
from domain.templates import RenderContext, TemplateSource, render_message, sample_context

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
