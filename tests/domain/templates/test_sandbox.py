"""The sandbox: no escape to Python internals, nothing mutable or random, and bounded work."""

from __future__ import annotations

import time

import pytest

from domain.templates import (
    MAX_SOURCE_CHARS,
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateTooLargeError,
    render_message,
    sample_context,
    validate_template,
)
from tests.domain.templates.conftest import email, text_of


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


# -- bounded work ------------------------------------------------------------------------------


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
