"""Users and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from domain.enums import Role
from services.schemas.common import Email, Flag, Request, Response, with_example


class UserCreate(Request):
    model_config = with_example(
        {"name": "Sam Specialist", "email": "sam@acme.example", "role": "ar_specialist"}
    )

    name: str = Field(min_length=1, max_length=200)
    email: Email
    role: Role


class UserUpdate(Request):
    model_config = with_example({"active": False})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: Flag | None = None


class UserOut(Response):
    id: int
    name: str
    email: str
    role: str
    active: bool
    created_at: datetime


class KeyCreate(Request):
    model_config = with_example({"name": "accounting sync"})

    name: str = Field(default="default", min_length=1, max_length=100)


class KeyOut(Response):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedKeyOut(KeyOut):
    secret: str = Field(description="Shown once: only a hash is stored.")
