"""axe-core (bundled by `axe-playwright-python`, nothing downloaded) run on a console page in the
browser tests: no serious or critical violation. Every page's browser test calls it."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

BLOCKING = frozenset({"serious", "critical"})
_axe = Axe()


def _describe(violation: dict[str, Any]) -> str:
    where = ", ".join(" ".join(node.get("target", [])) for node in violation.get("nodes", [])[:5])
    return f"{violation['impact']} {violation['id']}: {violation['help']} (at {where})"


async def assert_accessible(page: Page) -> None:
    """Fails with each serious or critical violation on the page as it is now."""
    results = await _axe.run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"accessibility violations on {page.url}:\n" + "\n".join(map(_describe, blocking))
