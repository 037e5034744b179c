"""The one place arcadence reads its configuration from (environment, prefix ``ARCADENCE_``)."""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.money import check_locale


class Settings(BaseSettings):
    """Process settings. Invalid values fail at start-up, not at the first send."""

    model_config = SettingsConfigDict(
        env_prefix="ARCADENCE_",
        env_file=None,
        extra="ignore",
        frozen=True,
    )

    # Storage. Unset means "start the embedded Postgres" (dev) or fail (worker/api).
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ARCADENCE_DATABASE_URL", "DATABASE_URL"),
        description="Postgres URL; unset in `arcadence dev` starts an embedded server.",
    )
    # Resolved to an absolute path here, once: the children given it run in other folders.
    data_dir: Path = Field(default=Path(".arcadence"), description="Embedded data (Postgres, Temporal).")
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100, le=600_000)

    # Temporal.
    temporal_address: str | None = Field(
        default=None,
        description="host:port of Temporal; unset in `arcadence dev` starts a dev server.",
    )
    temporal_namespace: str = Field(default="default", min_length=1, max_length=255)
    # A secured cluster or Temporal Cloud. Each certificate or key is a file path or the PEM text
    # itself; files are read (and checked) once, at start-up, by `workers.startup`.
    temporal_tls: bool = Field(
        default=False, description="TLS to Temporal; implied by any of the TLS settings or an API key."
    )
    temporal_tls_server_ca: str | None = Field(default=None, description="CA of the server (path or PEM).")
    temporal_tls_client_cert: str | None = Field(default=None, description="mTLS certificate (path or PEM).")
    temporal_tls_client_key: SecretStr | None = Field(default=None, description="mTLS key (path or PEM).")
    temporal_tls_server_name: str | None = Field(default=None, description="Name the server's cert shows.")
    temporal_api_key: SecretStr | None = Field(default=None, description="Temporal Cloud API key.")
    task_queue: str = Field(default="arcadence", min_length=1, max_length=255)

    # Ports of the dev stack and of the processes.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    postgres_port: int = Field(default=5433, ge=1, le=65535)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Worker tuning. `arcadence worker` runs this many processes (one core each); the settings below
    # and db_pool_size apply to each process.
    worker_processes: int = Field(default=1, ge=1, le=64, description="Processes of `arcadence worker`.")
    max_concurrent_activities: int = Field(default=100, ge=1, le=10_000)
    max_concurrent_workflow_tasks: int = Field(default=100, ge=1, le=10_000)
    # Sleeping enrollments wake at most daily: keeping them all in memory (~250 KiB each) buys
    # nothing. The cache holds the ones at work; an evicted one replays its (bounded) history.
    max_cached_workflows: int = Field(default=150, ge=0, le=1_000_000)

    # Channels: "outbox" stores messages in Postgres and sends nothing.
    email_channel: Literal["outbox", "sendgrid"] = "outbox"
    sms_channel: Literal["outbox", "twilio"] = "outbox"
    sendgrid_api_key: SecretStr | None = None
    sendgrid_base_url: str = "https://api.sendgrid.com"
    sendgrid_webhook_public_key: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str | None = None

    # Invoice PDFs are fetched from public addresses only; an organization whose document server is
    # on its private network lists that network here (comma-separated CIDR blocks).
    pdf_allowed_networks: str = Field(
        default="",
        description="Comma-separated CIDR blocks invoice PDFs may come from besides public addresses.",
    )

    # The console (/console): its session cookies are signed with this secret. Unset, a random one
    # is made per process (with a warning): sessions then end when the process restarts, and
    # several API processes behind one address would refuse each other's cookies.
    console_secret: SecretStr | None = Field(
        default=None, description="Signs console session cookies; unset, a random one per process."
    )
    console_session_hours: int = Field(default=8, ge=1, le=24 * 30, description="Console sign-in lifetime.")
    console_link_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long a one-time console sign-in link may be used."
    )
    console_url: str | None = Field(
        default=None,
        description="The console's address in sign-in links; unset, http://ARCADENCE_API_HOST:PORT/console.",
    )
    temporal_ui_url: str | None = Field(
        default=None,
        description="Base URL of the Temporal UI for the console's links; unset, the dev stack's.",
    )

    # Defaults for a new organization (the organization row is the truth afterwards).
    default_time_zone: str = "America/New_York"
    # The organization's locale: how the console writes money and dates ('en_US', 'de_DE', 'fr_FR').
    locale: str = Field(default="en_US", description="How the console writes money and dates.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    @property
    def console_address(self) -> str:
        return (self.console_url or f"http://{self.api_host}:{self.api_port}/console").rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return absolute_path(value)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return check_locale(value)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("pdf_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not a CIDR block (e.g. 10.20.0.0/16)") from exc
        return value

    @property
    def pdf_networks(self) -> list[str]:
        return [part.strip() for part in self.pdf_allowed_networks.split(",") if part.strip()]

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("must be host:port")
        return value

    @field_validator(
        "temporal_tls_server_ca",
        "temporal_tls_client_cert",
        "temporal_tls_client_key",
        "temporal_tls_server_name",
        "temporal_api_key",
        mode="before",
    )
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # Compose passes `${VAR:-}` through as an empty string: that means "not set".
        return None if isinstance(value, str) and value.strip() == "" else value

    @property
    def temporal_uses_tls(self) -> bool:
        """TLS is on when asked for, or when anything only TLS can carry is configured."""
        return self.temporal_tls or any(
            value is not None
            for value in (
                self.temporal_tls_server_ca,
                self.temporal_tls_client_cert,
                self.temporal_tls_client_key,
                self.temporal_tls_server_name,
                self.temporal_api_key,
            )
        )

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
        if self.database_url is None:
            raise RuntimeError("ARCADENCE_DATABASE_URL is not set")
        return to_sqlalchemy_url(self.database_url)


def absolute_path(path: Path) -> Path:
    """`path` made absolute against the current directory (and `~` expanded), once, up front."""
    return path.expanduser().resolve()


def to_sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("not a postgresql URL")


def child_environment(overrides: dict[str, str]) -> dict[str, str]:
    """The environment for a child process of ours: this one's, with `overrides` on top (the only
    other place the environment is read, so that it stays in this module)."""
    return {**os.environ, **overrides}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
