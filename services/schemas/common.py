"""Base models and field types of the services' inputs and outputs: requests refuse unknown
fields and cap lengths; responses read from rows. No web framework: the API's query and path
parameters are in `api/params.py`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
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


def _zone(value: str) -> str:
    # Keys ZoneInfo accepts that are no zone anyone lives in: the host's own "localtime",
    # "Factory", and the posix/ and right/ copies of the database.
    odd = value in ("localtime", "posixrules", "Factory") or value.startswith(("posix/", "right/"))
    if odd or value not in available_timezones():
        raise ValueError("unknown IANA time zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown IANA time zone") from exc
    return value


def _holiday_country(value: str) -> str:
    if value not in holidays.list_supported_countries():
        raise ValueError("no holiday calendar for this country")
    return value


# An IANA zone an organization or a customer lives in ("Asia/Tokyo").
TimeZoneName = Annotated[str, Field(max_length=64, description="IANA zone"), AfterValidator(_zone)]
# An ISO 3166 country whose public holidays are skipped ("US", "JP").
HolidayCountry = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 code of the holidays to skip"),
    AfterValidator(_holiday_country),
]


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

    @classmethod
    def of(cls, rows: Sequence[object], total: int, limit: int, offset: int) -> Self:
        """The page of `rows` (read as the item type) out of `total`."""
        return cls.model_validate({"items": rows, "total": total, "limit": limit, "offset": offset})
