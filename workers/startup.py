"""Start-up failures said in one line: what failed, the likely cause and what to do.

A process that cannot start (a port taken, Postgres or Temporal not coming up, a bad setting, a
database or Temporal that cannot be reached) raises `StartupError`; the CLI prints it without a
traceback and exits 1. A bug is not a start-up error and still shows its traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import SecretStr, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from models.settings import Settings
from workers.converter import DATA_CONVERTER


class StartupError(RuntimeError):
    """A failure to start that the person at the terminal can fix."""

    def __init__(self, message: str, *, log: Path | None = None, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.log = log
        self.details = [line for line in details if line.strip()]

    def render(self) -> str:
        """The one line (with the log's path), then at most a few lines of context under it."""
        first = f"arcadence: {self.message}"
        if self.log is not None:
            first += f" (log: {self.log})"
        return "\n".join([first, *(f"    {line.rstrip()}" for line in self.details[-5:])])


def log_tail(path: Path | None, lines: int = 5) -> list[str]:
    """The last lines of a log file, or nothing when it does not exist (yet)."""
    if path is None or not path.is_file():
        return []
    with path.open("rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - 16_384))
        text = handle.read().decode(errors="replace")
    return [line for line in text.splitlines() if line.strip()][-lines:]


def settings_error(err: ValidationError) -> StartupError:
    """A bad ARCADENCE_* value, named the way it is set."""
    problems = []
    for item in err.errors():
        name = "_".join(str(part) for part in item["loc"]).upper()
        variable = name if name == "DATABASE_URL" else f"ARCADENCE_{name}"
        problems.append(f"{variable}: {item['msg']}")
    return StartupError("invalid setting " + "; ".join(problems))


def _where(url: str) -> str:
    """host:port/database of a URL, without its password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


async def check_database(settings: Settings) -> None:
    """Fail at start-up, in one line, when Postgres cannot be reached or the schema is missing."""
    url = settings.sqlalchemy_url
    engine = create_async_engine(url, connect_args={"connect_timeout": 10})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OperationalError, OSError) as err:
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
        raise StartupError(
            f"cannot reach Postgres at {_where(url)}: {reason}. Check ARCADENCE_DATABASE_URL "
            "and that the server is running"
        ) from err
    finally:
        await engine.dispose()


def _pem_of(value: str | SecretStr, variable: str, *, key: bool = False) -> bytes:
    """The PEM bytes a setting names (the text itself, or a file), checked before any connect."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text.lstrip().startswith("-----BEGIN"):
        data, where = text.encode(), "its value"
    else:
        path = Path(text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as err:
            raise StartupError(
                f"{variable}: cannot read {path}: {err.strerror or err}. Give a readable file or the PEM text"
            ) from err
        where = str(path)
    try:
        if key:
            load_pem_private_key(data, password=None)
        else:
            x509.load_pem_x509_certificates(data)
    except (ValueError, TypeError) as err:
        what = "an unencrypted PEM private key" if key else "a PEM certificate"
        raise StartupError(f"{variable}: {where} is not {what}") from err
    return data


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """The TLS of the Temporal connection: off, the system's roots, or the given CA and client cert."""
    if not settings.temporal_uses_tls:
        return False
    cert, key = settings.temporal_tls_client_cert, settings.temporal_tls_client_key
    if (cert is None) != (key is None):
        given, missing = ("CERT", "KEY") if cert is not None else ("KEY", "CERT")
        raise StartupError(
            f"ARCADENCE_TEMPORAL_TLS_CLIENT_{given} is set without ARCADENCE_TEMPORAL_TLS_CLIENT_{missing}: "
            "a client certificate needs its key"
        )
    ca = settings.temporal_tls_server_ca
    if ca is None and cert is None and settings.temporal_tls_server_name is None:
        return True  # Temporal Cloud with an API key: the system's CA roots
    return TLSConfig(
        server_root_ca_cert=_pem_of(ca, "ARCADENCE_TEMPORAL_TLS_SERVER_CA") if ca is not None else None,
        client_cert=_pem_of(cert, "ARCADENCE_TEMPORAL_TLS_CLIENT_CERT") if cert is not None else None,
        client_private_key=(
            _pem_of(key, "ARCADENCE_TEMPORAL_TLS_CLIENT_KEY", key=True) if key is not None else None
        ),
        domain=settings.temporal_tls_server_name,
    )


async def connect_temporal(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """The Temporal client every process uses (TLS, mTLS, API key from the settings); an unreachable
    server or a bad certificate is a start-up error."""
    if settings.temporal_address is None:
        raise StartupError("ARCADENCE_TEMPORAL_ADDRESS is not set: point it at Temporal (host:port)")
    tls = temporal_tls(settings)
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=DATA_CONVERTER,
            runtime=runtime,
            tls=tls,
            api_key=api_key,
        )
    except RuntimeError as err:
        reason = " ".join(str(err).split())[:300]
        check = "ARCADENCE_TEMPORAL_ADDRESS and ARCADENCE_TEMPORAL_NAMESPACE"
        if tls:
            check += ", and the ARCADENCE_TEMPORAL_TLS_* certificates (or ARCADENCE_TEMPORAL_API_KEY)"
        raise StartupError(
            f"cannot reach Temporal at {settings.temporal_address} (namespace "
            f"{settings.temporal_namespace}, TLS {'on' if tls else 'off'}): {reason}. Check {check}"
        ) from err


def leave_now(code: int = 0) -> NoReturn:
    """End a process whose Temporal worker has stopped cleanly, without interpreter finalization.

    The Temporal core's native threads can still release the GIL while Python finalizes, which
    aborts the process ("PyGILState_Release ... must be current") after a clean stop, so a
    stopped worker would exit with SIGABRT now and then. Everything is stopped and flushed here.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
