"""Hostile templates are refused when saved, with a clear error naming what is wrong and where;
nothing is written."""

from __future__ import annotations

import pytest

from models import Template
from tests.api.conftest import Api

ATTACKS = {
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "subclasses": "{{ customer.__class__.__subclasses__() }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "format walk": "{{ '{0.__class__}'.format(customer) }}",
    "mutation": "{{ invoices.append(1) }}",
}
RUNAWAYS = {
    "unbounded loop": "{% for i in range(10**9) %}x{% endfor %}",
    "nested loops": "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
    "huge string": "{{ 'x' * 10**9 }}",
    "huge output": "{% for i in range(9000) %}{{ 'x' * 100 }}{% endfor %}",
    "recursion": "{% macro grow(s) %}{{ grow(s ~ s) }}{% endmacro %}{{ grow('x') }}",
}


@pytest.mark.parametrize("source", list(ATTACKS.values()), ids=list(ATTACKS))
async def test_sandbox_escapes_are_refused_at_save_time(api: Api, source: str) -> None:
    error = await api.refused(
        "POST",
        "/templates",
        422,
        "template_invalid",
        json={"name": "Hostile", "subject": "Hi", "text_body": source},
    )
    assert "line 1" in str(error["error"])
    assert await api.count(Template) == 0


@pytest.mark.parametrize("source", list(RUNAWAYS.values()), ids=list(RUNAWAYS))
async def test_runaway_templates_are_refused_at_save_time_and_quickly(api: Api, source: str) -> None:
    await api.refused(
        "POST",
        "/templates",
        422,
        "template_invalid",
        json={"name": "Runaway", "html_body": source, "text_body": "ok", "subject": "Hi"},
    )
    assert await api.count(Template) == 0


async def test_an_edit_cannot_smuggle_an_escape_into_a_saved_template(api: Api) -> None:
    saved = await api.ok(
        "POST", "/templates", status=201, json={"name": "Fine", "subject": "Hi", "text_body": "Hello"}
    )
    await api.refused(
        "PUT",
        f"/templates/{saved['id']}",
        422,
        "template_invalid",
        json={"name": "Fine", "subject": "Hi", "text_body": ATTACKS["globals"]},
    )
    again = await api.ok("GET", f"/templates/{saved['id']}")
    assert again["text_body"] == "Hello"
