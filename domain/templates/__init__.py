"""Message templates: sandboxed rendering, the typed context templates see, default templates."""

from domain.templates.context import (
    MAX_LISTED_INVOICES,
    OpenBalance,
    PaymentView,
    RenderContext,
    balance_of,
    build_context,
    payment_view,
)
from domain.templates.defaults import AUTOPAY_TEMPLATES, DEFAULT_TEMPLATES, default_autopay_slug
from domain.templates.errors import (
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateTooLargeError,
)
from domain.templates.rendering import (
    MAX_OUTPUT_CHARS,
    MAX_SMS_CHARS,
    MAX_SOURCE_CHARS,
    MAX_SUBJECT_CHARS,
    RenderedMessage,
    TemplateSource,
    clean_subject,
    render_message,
    validate_template,
)
from domain.templates.samples import sample_context

__all__ = [
    "AUTOPAY_TEMPLATES",
    "DEFAULT_TEMPLATES",
    "MAX_LISTED_INVOICES",
    "MAX_OUTPUT_CHARS",
    "MAX_SMS_CHARS",
    "MAX_SOURCE_CHARS",
    "MAX_SUBJECT_CHARS",
    "OpenBalance",
    "PaymentView",
    "RenderContext",
    "RenderedMessage",
    "TemplateError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSource",
    "TemplateSyntaxError",
    "TemplateTooLargeError",
    "balance_of",
    "build_context",
    "clean_subject",
    "default_autopay_slug",
    "payment_view",
    "render_message",
    "sample_context",
    "validate_template",
]
