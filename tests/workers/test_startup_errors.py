"""A process that cannot start says so in one line — what failed, why, what to do — and exits 1,
without a traceback: a port taken names its variable, Postgres and Temporal name their logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.embedded.ports import free_port

ARCADENCE = Path(sys.executable).parent / "arcadence"


def _run(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ARCADENCE), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    clean.update(
        {f"ARCADENCE_{n}_PORT": str(free_port()) for n in ("API", "POSTGRES", "TEMPORAL", "TEMPORAL_UI")}
    )
    return clean


@pytest.fixture
def reachable(tmp_path: Path) -> Path:
    """A folder that the Postgres system user (under root) may enter, so nothing moves."""
    for folder in [tmp_path, *tmp_path.parents]:
        if folder == Path("/tmp") or folder == Path("/"):
            break
        folder.chmod(folder.stat().st_mode | 0o011)
    return tmp_path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith("arcadence: ")
    return first


def test_a_taken_port_names_the_variable_that_moves_it(
    env: dict[str, str], tmp_path: Path, busy_port: int
) -> None:
    env["ARCADENCE_API_PORT"] = str(busy_port)
    line = _one_line(_run("dev", env=env, cwd=tmp_path, timeout=30))
    assert f"api port {busy_port}" in line and "ARCADENCE_API_PORT" in line
    assert not (tmp_path / ".arcadence" / "postgres").exists()


def test_a_bad_setting_names_the_variable_and_what_is_wrong(env: dict[str, str], tmp_path: Path) -> None:
    env["ARCADENCE_API_PORT"] = "eighty"
    line = _one_line(_run("dev", env=env, cwd=tmp_path, timeout=30))
    assert line.startswith("arcadence: invalid setting ARCADENCE_API_PORT: ")


def test_postgres_failing_to_start_names_its_log_and_shows_its_last_lines(
    env: dict[str, str], reachable: Path
) -> None:
    pgdata = reachable / ".arcadence" / "postgres" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("9\n")  # a cluster of a version this server cannot run
    result = _run("dev", env=env, cwd=reachable)
    line = _one_line(result)
    log = reachable / ".arcadence" / "postgres" / "postgres.log"
    assert line.startswith("arcadence: embedded Postgres") and f"(log: {log})" in line
    assert len(result.stderr.splitlines()) <= 9  # the line, then a few lines of the log
    assert any(part.strip() and part.strip() in log.read_text() for part in result.stderr.splitlines()[1:])


def test_temporal_failing_to_start_names_its_log(env: dict[str, str], reachable: Path) -> None:
    (reachable / ".arcadence" / "temporal.db").mkdir(parents=True)  # not a database file
    result = _run("dev", env=env, cwd=reachable)
    line = _one_line(result)
    assert line.startswith("arcadence: the Temporal dev server")
    assert f"(log: {reachable / '.arcadence' / 'temporal.log'})" in line
    leftovers = subprocess.run(["pgrep", "-af", str(reachable)], capture_output=True, text=True, check=False)
    assert [p for p in leftovers.stdout.splitlines() if "pgrep" not in p] == []


def test_a_worker_that_cannot_reach_postgres_says_which_variable_to_check(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env["ARCADENCE_DATABASE_URL"] = f"postgresql://app:secret@127.0.0.1:{port}/books"
    env["ARCADENCE_TEMPORAL_ADDRESS"] = f"127.0.0.1:{free_port()}"
    line = _one_line(_run("worker", env=env, cwd=tmp_path, timeout=60))
    assert f"cannot reach Postgres at 127.0.0.1:{port}/books" in line and "ARCADENCE_DATABASE_URL" in line
    assert "secret" not in line


def test_a_worker_that_cannot_reach_temporal_says_which_variable_to_check(
    env: dict[str, str], tmp_path: Path, fresh_database_url: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    env["ARCADENCE_DATABASE_URL"] = fresh_database_url
    env["ARCADENCE_TEMPORAL_ADDRESS"] = address
    line = _one_line(_run("worker", env=env, cwd=tmp_path, timeout=60))
    assert f"cannot reach Temporal at {address}" in line and "ARCADENCE_TEMPORAL_ADDRESS" in line
