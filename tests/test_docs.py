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
