"""Settings fail fast on bad values and are the only reader of the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from models.settings import Settings, to_sqlalchemy_url

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_describe_the_dev_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARCADENCE_DATABASE_URL", "DATABASE_URL", "ARCADENCE_TEMPORAL_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url is None
    assert settings.temporal_address is None
    assert settings.task_queue == "arcadence"
    assert (settings.api_port, settings.temporal_port, settings.temporal_ui_port) == (
        8000,
        7233,
        8233,
    )
    assert settings.email_channel == "outbox"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ARCADENCE_DATABASE_URL", "mysql://root@localhost/db"),
        ("ARCADENCE_API_PORT", "70000"),
        ("ARCADENCE_TEMPORAL_ADDRESS", "localhost"),
        ("ARCADENCE_DEFAULT_TIME_ZONE", "Mars/Olympus_Mons"),
        ("ARCADENCE_EMAIL_CHANNEL", "carrier-pigeon"),
        ("ARCADENCE_DB_POOL_SIZE", "0"),
        ("ARCADENCE_PDF_ALLOWED_NETWORKS", "10.0.0.0/8, intranet"),
    ],
)
def test_bad_values_fail_at_start_up(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=f"(?i){variable.removeprefix('ARCADENCE_')}"):
        Settings()


def test_plain_database_url_is_accepted_for_tooling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCADENCE_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_urls_get_the_psycopg_driver() -> None:
    assert to_sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(ValueError):
        to_sqlalchemy_url("sqlite:///x.db")


def test_nothing_but_settings_reads_the_environment() -> None:
    offenders = []
    for folder in ("api", "workers", "workflows", "activities", "domain", "models"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "settings.py" and path.parent.name == "models":
                continue
            source = path.read_text()
            if "os.environ" in source or "os.getenv" in source:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_relative_default_data_dir_is_made_absolute_in_the_folder_the_command_runs_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ARCADENCE_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().data_dir == tmp_path.resolve() / ".arcadence"


def test_a_relative_or_home_data_dir_setting_is_made_absolute_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCADENCE_DATA_DIR", "state/../data")
    assert Settings().data_dir == tmp_path.resolve() / "data"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARCADENCE_DATA_DIR", "~/arcadence")
    assert Settings().data_dir == tmp_path.resolve() / "home" / "arcadence"


def test_pdf_allowed_networks_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCADENCE_PDF_ALLOWED_NETWORKS", " 10.20.0.0/16 , 192.168.7.9 ,")
    assert Settings().pdf_networks == ["10.20.0.0/16", "192.168.7.9"]
    monkeypatch.delenv("ARCADENCE_PDF_ALLOWED_NETWORKS")
    assert Settings().pdf_networks == []
