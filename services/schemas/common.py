"""Base models and field types: requests refuse unknown fields and cap lengths; responses read
from rows."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.money import check_currency

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(check_currency)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
ExternalId = Annotated[str, Field(min_length=1, max_length=128)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
# Business dates stay where calendars (and date arithmetic on them) make sense.
BusinessDate = Annotated[date, Field(ge=date(1970, 1, 1), le=date(2199, 12, 31))]
# Ids and flags are strict: "1" or "yes" in a JSON body is a mistake worth a 422, not a guess.
Id = Annotated[int, Field(ge=1, le=2_147_483_647, strict=True)]
Flag = Annotated[bool, Field(strict=True)]

# Postgres refuses NUL in text; a search for one is a 422 at the edge, not a database error.
NO_NUL = r"^[^\x00]*$"

# Paging of list endpoints.
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many items")]
# A filter or path id that cannot exist in Postgres' `integer` is a 422, not a database error.
QueryId = Annotated[int, Query(ge=1, le=2_147_483_647)]


def _refuse_nul(value: object) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters (\\u0000) are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_nul(item)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Postgres cannot store NUL in text: refused here with the field named, not by the
        database. Nested request models check their own fields."""
        _refuse_nul(value)
        return value


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


PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["customer 42 does not exist"])
    details: Any = None


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A body that cannot be read (not UTF-8); nothing was written"},
    401: {"model": ErrorOut, "description": "No key, or an unknown or revoked key"},
    403: {"model": ErrorOut, "description": "The key's role may not do this"},
    404: {"model": ErrorOut, "description": "An unknown id"},
    409: {"model": ErrorOut, "description": "A conflict (duplicate external id, disabled workflow, …)"},
    413: {"model": ErrorOut, "description": "The body is larger than this operation accepts"},
    422: {"model": ErrorOut, "description": "Invalid input; nothing was written"},
}
