"""Template errors name the template, the part (subject, HTML, text) and the line at fault."""

from __future__ import annotations

import pytest

from domain.templates import (
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateTooLargeError,
    render_message,
    sample_context,
    validate_template,
)
from tests.domain.templates.conftest import email


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
