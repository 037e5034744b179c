"""docker-compose.yml (Docker does not run here): the services, their order, and settings that exist."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from models.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
SETTING_NAMES = {f"ARCADENCE_{name.upper()}" for name in Settings.model_fields}


def test_the_stack_has_every_piece() -> None:
    assert set(SERVICES) == {
        "postgres",
        "temporal",
        "temporal-ui",
        "temporal-search-attributes",
        "migrate",
        "worker",
        "api",
    }


def test_third_party_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if service.get("build") or image.startswith("arcadence"):
            continue
        assert ":" in image and not image.endswith(":latest"), name


def test_long_running_services_have_healthchecks_and_the_order_is_enforced() -> None:
    for name in ("postgres", "temporal", "worker", "api"):
        assert "test" in SERVICES[name]["healthcheck"], name
    assert SERVICES["temporal"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("worker", "api"):
        needs = SERVICES[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["temporal-search-attributes"]["condition"] == "service_completed_successfully"


def test_the_search_attributes_the_workflow_upserts_are_registered() -> None:
    from workflows.search_attributes import ALL_KEYS

    command = " ".join(SERVICES["temporal-search-attributes"]["command"])
    for key in ALL_KEYS:
        assert key.name in command


def test_ports_are_published_for_the_api_temporal_and_its_ui() -> None:
    published = {p for s in SERVICES.values() for p in s.get("ports", [])}
    assert {"8000:8000", "7233:7233", "8080:8080"} <= published


def test_every_arcadence_variable_set_is_a_real_setting() -> None:
    seen = set()
    for name, service in SERVICES.items():
        for variable in service.get("environment", {}):
            if variable.startswith("ARCADENCE_"):
                assert variable in SETTING_NAMES, f"{name}: {variable} is not a setting"
                seen.add(variable)
    assert {"ARCADENCE_DATABASE_URL", "ARCADENCE_TEMPORAL_ADDRESS", "ARCADENCE_API_HOST"} <= seen


def test_the_arcadence_services_run_the_cli_commands_that_exist() -> None:
    from typer.main import get_command

    from workers.cli import app

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    for name in ("migrate", "worker", "api"):
        assert SERVICES[name]["command"][0] in commands


def test_the_dockerfile_installs_the_package_and_runs_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -c constraints.txt ." in dockerfile  # the lock, as `make install` uses it
    assert "constraints.txt" in dockerfile.split("COPY", 2)[1]
    assert "USER arcadence" in dockerfile
    assert 'ENTRYPOINT ["arcadence"]' in dockerfile


def test_the_dockerfile_copies_every_package_the_project_ships() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for package in (pattern.rstrip("*") for pattern in shipped["include"]):
        assert f"COPY {package} ./{package}" in dockerfile, package
