"""The domain layer is pure: no project layer above it, no I/O, no wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN_PACKAGES = {"models", "activities", "workflows", "api", "workers"}
IO_MODULES = {
    "socket",
    "requests",
    "httpx",
    "urllib",
    "psycopg",
    "sqlalchemy",
    "sqlmodel",
    "temporalio",
    "subprocess",
    "os",
}
CLOCK_CALLS = {"now", "today", "utcnow", "time"}


def _modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_domain_imports_nothing_from_the_layers_above_or_io_libraries() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in FORBIDDEN_PACKAGES or root in IO_MODULES:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_domain_never_reads_the_clock_or_opens_files() -> None:
    offenders = []
    for path in _modules():
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
