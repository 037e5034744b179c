"""The README stays true: every setting is documented, and both commands are shown."""

from __future__ import annotations

from pathlib import Path

from models.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name in Settings.model_fields if f"`ARCADENCE_{name.upper()}`" not in README]
    assert missing == []


def test_the_readme_shows_the_two_commands_and_links_the_docs() -> None:
    for text in ("make dev", "make test", "docs/ARCHITECTURE.md", "docs/DECISIONS.md", "CustomerId="):
        assert text in README


def test_every_test_the_reliability_page_cites_exists() -> None:
    """docs/RELIABILITY.md names the test behind each promise: those tests must be there."""
    import re

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "RELIABILITY.md").read_text()
    cited = re.findall(r"`(tests/[\w/]+\.py)((?:::\w+)?)`", page)
    assert len(cited) >= 15
    for path, name in cited:
        source = (root / path).read_text()
        if name:
            assert f"def {name[2:]}(" in source, f"{path}{name} is cited but does not exist"
    # Names cited with a leading `::` after a path given just before in the same cell.
    for name in re.findall(r"`::(\w+)`", page):
        assert any(f"def {name}(" in (root / p).read_text() for p, _ in cited), name
