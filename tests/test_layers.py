"""Imports point downwards only: every module of every layer is read (AST, so imports inside
functions and under `TYPE_CHECKING` count too) and checked against the layer table of
docs/ARCHITECTURE.md (DESIGN §2). The domain layer is also pure: no I/O library, no wall clock.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each layer and the project packages it may import (itself included).
MAY_IMPORT: dict[str, set[str]] = {
    "api": {"api", "services", "domain", "models", "workflows"},
    "services": {"services", "domain", "models", "workflows"},
    "workers": {"workers", "api", "services", "workflows", "activities", "domain", "models"},
    "workflows": {"workflows", "domain", "activities"},
    "activities": {"activities", "domain", "models"},
    "models": {"models", "domain"},
    "domain": {"domain"},
}
LAYERS = set(MAY_IMPORT)

# Known departures, each named by module and what it imports, and why it is accepted for now.
ACCEPTED: dict[tuple[str, str], str] = {
    # DESIGN §2: the bulk activity is one of the application layer's callers (like the API and
    # the CLI): it enrolls each customer through the enrollment service and its unit of work.
    ("activities.bulk", "services"): "the bulk activity runs the enrollment use case",
    # Its batch and outcome dataclasses are declared beside the bulk workflow; they belong in
    # activities/ (beside the activity), which is the workflows/activities restructuring's to move.
    ("activities.bulk", "workflows"): "BulkBatch and CustomerOutcome live in workflows/bulk_enroll_types",
}

# Third-party packages a layer must not import, with the reason.
WEB = {"fastapi", "starlette", "uvicorn"}
DATABASE = {"sqlalchemy", "sqlmodel", "psycopg", "psycopg_pool", "alembic"}
NETWORK = {"socket", "requests", "httpx", "urllib", "urllib3", "sendgrid", "twilio"}
# The domain's old purity list: nothing that reaches a database, a network, a process or the OS.
DOMAIN_IO = {"subprocess", "os", "temporalio"} | DATABASE | NETWORK
FORBIDDEN: dict[str, set[str]] = {
    "services": WEB,
    "workflows": WEB | DATABASE | NETWORK,
    "activities": WEB,
    "models": WEB | {"temporalio"},
    "domain": WEB | DOMAIN_IO,
}
# The application layer talks to Temporal as a client only (start, signal, query).
SERVICES_TEMPORAL = {"temporalio.client", "temporalio.service", "temporalio.common"}

CLOCK_CALLS = {"now", "today", "utcnow", "time"}


def _modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, wherever it is written."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    return imports_in(path.read_text(), package)


def imports_in(source: str, package: list[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the file's package
                base = package[: len(package) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.lineno, node.module


def violations_of(layer: str, module: str, name: str) -> list[str]:
    """Why importing `name` from `module` (in `layer`) breaks the table; empty when it does not."""
    allowed, root = MAY_IMPORT[layer], name.split(".")[0]
    found = []
    if root in LAYERS and root not in allowed and (module, root) not in ACCEPTED:
        found.append(f"{layer} may import {sorted(allowed)}")
    if root in FORBIDDEN.get(layer, set()):
        found.append(f"{layer} must not import {root}")
    if layer == "services" and root == "temporalio" and name not in SERVICES_TEMPORAL:
        found.append("services use Temporal as a client only")
    return found


def _violations() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name} ({why})"
        for layer in MAY_IMPORT
        for path in _modules(layer)
        for line, name in imported_modules(path)
        for why in violations_of(layer, _module_name(path), name)
    ]


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert _violations() == []


def test_nothing_below_the_faces_imports_api_or_workers() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for layer in ("activities", "workflows", "models", "domain", "services")
        for path in _modules(layer)
        for line, name in imported_modules(path)
        if name.split(".")[0] in {"api", "workers"}
    ]
    assert offenders == []


# Queries live in `models/repository/` (one module per aggregate); the application layer and the
# activities call named functions there instead of building `select(...)` themselves.
QUERY_FREE = ("services", "activities")
SELECT_BUILDERS = {"sqlmodel", "sqlalchemy", "sqlalchemy.sql", "sqlalchemy.future"}


def select_uses(source: str) -> list[str]:
    """Where a source builds a SELECT: `select(` written anywhere, or `select` imported."""
    found = [f"line {n}: select(" for n, text in enumerate(source.splitlines(), 1) if "select(" in text]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in SELECT_BUILDERS:
            found += [f"line {node.lineno}: imports select" for a in node.names if a.name == "select"]
    return found


def test_services_and_activities_leave_queries_to_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} {use}"
        for layer in QUERY_FREE
        for path in _modules(layer)
        for use in select_uses(path.read_text())
    ]
    assert offenders == []


def test_an_inline_select_is_caught() -> None:
    assert select_uses("from sqlmodel import col, select\n")
    assert select_uses("rows = await session.exec(sa.select(User))\n")
    assert not select_uses("from models.repository import open_invoices\n")


def test_every_accepted_departure_still_exists() -> None:
    """An exception that is no longer needed is removed from the table, not kept as a loophole."""
    used = {
        (_module_name(path), name.split(".")[0])
        for layer in MAY_IMPORT
        for path in _modules(layer)
        for _, name in imported_modules(path)
    }
    assert set(ACCEPTED) - used == set()


def test_the_walker_sees_imports_in_functions_under_type_checking_and_relative_ones() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from api.deps import AppState\n"
        "def later():\n    import workers.cli\n"
        "from .sibling import thing\n"
        "from . import other\n"
    )
    names = {name for _, name in imports_in(source, ["services"])}
    assert names == {"typing", "api.deps", "workers.cli", "services.sibling", "services"}


def test_an_upward_import_is_caught_and_an_accepted_one_is_not() -> None:
    assert violations_of("activities", "activities.sending", "api.deps")
    assert violations_of("models", "models.repository", "services.common")
    assert violations_of("services", "services.bulk", "temporalio.worker")
    assert violations_of("workflows", "workflows.enrollment", "sqlmodel")
    assert violations_of("domain", "domain.money", "os")
    assert not violations_of("activities", "activities.bulk", "services.enrollments")
    assert violations_of("activities", "activities.sending", "services.enrollments")
    assert not violations_of("api", "api.deps", "services.unit_of_work")


def test_the_worker_process_does_not_load_the_web_framework() -> None:
    """The worker's import chain (workflows → the bulk activity → services) stays free of FastAPI."""
    probe = "import sys, workers.worker; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))"
    out = subprocess.run(
        [sys.executable, "-c", probe % (sorted(WEB),)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_domain_never_reads_the_clock_or_opens_files() -> None:
    offenders = []
    for path in _modules("domain"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id == "open":
                    offenders.append(f"{path.name}: open()")
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in CLOCK_CALLS
                    and isinstance(func.value, ast.Name)
                    and func.value.id in {"datetime", "date", "time"}
                ):
                    offenders.append(f"{path.name}: {func.value.id}.{func.attr}()")
    assert offenders == []
