"""Base models: requests refuse unknown fields and cap lengths; responses read from rows."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def _currency(value: str) -> str:
    from domain.money import check_currency

    return check_currency(value)


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
ExternalId = Annotated[str, Field(min_length=1, max_length=128)]
Name = Annotated[str, Field(min_length=1, max_length=300)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def with_example(payload: dict[str, Any]) -> ConfigDict:
    """A request model's config with one example for /docs."""
    return ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [payload]})


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Response, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
