"""Typed template errors that name the template and the line at fault."""

from __future__ import annotations


class TemplateError(Exception):
    def __init__(self, template_name: str, message: str, line: int | None = None) -> None:
        self.template_name = template_name
        self.line = line
        self.message = message
        where = f"{template_name}, line {line}" if line is not None else template_name
        super().__init__(f"{where}: {message}")


class TemplateSyntaxError(TemplateError):
    """The template does not compile."""


class TemplateRenderError(TemplateError):
    """Rendering failed: an unknown variable, a bad filter argument, …"""


class TemplateSecurityError(TemplateError):
    """The template tried to leave the sandbox (dunder attributes, internals)."""


class TemplateTooLargeError(TemplateError):
    """The source or the output is over its size limit, or the template loops too much."""
