"""The tests `make test-fast` leaves out are named in tests/conftest.py: each name must still
name a test, or a renamed slow test silently joins the quick run."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SLOW_MODULES, SLOW_TESTS

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_left_out_of_the_quick_run_still_exists() -> None:
    for module in SLOW_MODULES:
        assert (ROOT / module).is_file(), module
    for node in SLOW_TESTS:
        path, _, name = node.partition("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^(async )?def {re.escape(name)}\(", source, re.M), node
