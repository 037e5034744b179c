"""The README's commands, exactly as a new user runs them: `git clone`, `cd`, `make dev` with no
argument and no ARCADENCE_* variable but free ports, the banner, the `curl` it prints, the
five-minute tour, Ctrl-C — as whoever runs the suite, in a private (0700) folder, and, when
that is root, again as an ordinary user in a private home of their own.

One concession, said plainly: the clone's `.venv` is laid out before `make dev` (the suite's
installed packages, hard-linked, and this clone's code on the path) and `make -t install`
marks it current, so the run does not download the dependencies again. `make test` itself
already proves the install step on a fresh clone; everything after it is the user's path.
"""

from __future__ import annotations

import json
import os
import pwd
import queue
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from workers.embedded.ports import free_port

REPO = Path(__file__).resolve().parents[2]
TESTER = "arcadence_tester"
EDITABLE_LEFTOVERS = ("__editable__.arcadence-", "__editable___arcadence_", "arcadence-")


@dataclass
class Person:
    """Who runs the commands: the suite's own user, or an ordinary one made for the test."""

    name: str
    home: Path
    uid: int | None = None
    gid: int | None = None

    def popen_options(self) -> dict[str, object]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid or -1)

    def can_run(self, program: Path) -> bool:
        if self.uid is None:
            return os.access(program, os.X_OK)
        check = subprocess.run(["test", "-x", str(program)], check=False, **self.popen_options())  # type: ignore[call-overload]
        return check.returncode == 0


@dataclass
class Stack:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read_until(self, marker: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError("`make dev` exited early:\n" + "".join(self.seen[-40:]))
            self.seen.append(line)
            if marker in line:
                return "".join(self.seen)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} within {timeout:.0f} s:\n" + "".join(self.seen[-40:]))

    def ctrl_c(self) -> str:
        """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def _ordinary_person(home_base: Path) -> Person:
    try:
        entry = pwd.getpwnam(TESTER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--shell", "/bin/bash", TESTER], check=True, capture_output=True
        )
        entry = pwd.getpwnam(TESTER)
    home_base.chmod(0o755)  # as /home is; the home itself is the user's alone
    home = home_base / "home"
    home.mkdir(mode=0o700)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    return Person(TESTER, home, entry.pw_uid, entry.pw_gid)


def _interpreter(person: Person) -> Path:
    """A Python of the suite's own version that `person` may run."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in (Path(sys.base_prefix) / "bin", Path("/usr/bin"), Path("/usr/local/bin")):
        if person.can_run(folder / version):
            return folder / version
    pytest.fail(f"no {version} that {person.name} may run (the suite's is under {sys.base_prefix})")


def _link_tree(source: Path, target: Path) -> None:
    try:
        subprocess.run(["cp", "-al", f"{source}/.", str(target)], check=True, capture_output=True)
    except subprocess.CalledProcessError:  # another file system: copy instead
        subprocess.run(["cp", "-a", f"{source}/.", str(target)], check=True, capture_output=True)


def _lay_out_venv(clone: Path, person: Person, env: dict[str, str]) -> None:
    """The `.venv` that `make install` would build, from the suite's own installed packages."""
    python = _interpreter(person)
    subprocess.run(
        [str(python), "-m", "venv", "--without-pip", ".venv"],
        cwd=clone,
        env=env,
        check=True,
        **person.popen_options(),  # type: ignore[arg-type]
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = clone / ".venv" / "lib" / version / "site-packages"
    _link_tree(Path(sysconfig.get_paths()["purelib"]), site)
    for leftover in site.iterdir():
        if leftover.name.startswith(EDITABLE_LEFTOVERS):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    (site / "arcadence-clone.pth").write_text(f"{clone}\n")
    bin_dir = clone / ".venv" / "bin"
    for wheel_binary in ("temporal", "temporal-test-server"):
        source = Path(sysconfig.get_path("scripts")) / wheel_binary
        try:
            os.link(source, bin_dir / wheel_binary)
        except OSError:
            shutil.copy2(source, bin_dir / wheel_binary)
    script = bin_dir / "arcadence"
    script.write_text(f"#!{bin_dir / 'python'}\nimport sys\nfrom workers.cli import app\n\nsys.exit(app())\n")
    script.chmod(0o755)
    for path in (site / "arcadence-clone.pth", script):
        person.chown(path)
    subprocess.run(
        ["make", "-t", "install"],
        cwd=clone,
        env=env,
        check=True,
        capture_output=True,
        **person.popen_options(),
    )  # type: ignore[call-overload]


def _environment(person: Person) -> dict[str, str]:
    """A login's environment: nothing of arcadence's, nothing of the outer `make test`."""
    path = os.environ["PATH"] if person.uid is None else "/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(person.home), "LANG": "C.UTF-8"}
    env.update(
        {
            f"ARCADENCE_{name}_PORT": str(free_port())
            for name in ("API", "POSTGRES", "TEMPORAL", "TEMPORAL_UI")
        }
    )
    return env


def _fresh_clone(person: Person, env: dict[str, str]) -> Path:
    clone = person.home / "arcadence"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    if person.uid is not None:
        subprocess.run(["chown", "-R", f"{person.uid}:{person.gid}", str(clone)], check=True)
    _lay_out_venv(clone, person, env)
    return clone


def _make_dev(clone: Path, person: Person, env: dict[str, str]) -> Stack:
    process = subprocess.Popen(
        ["make", "dev"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **person.popen_options(),  # type: ignore[arg-type]
    )
    return Stack(process)


def _json_documents(text: str) -> list[object]:
    decoder, found, index = json.JSONDecoder(), [], 0
    while (index := _skip_space(text, index)) < len(text):
        value, index = decoder.raw_decode(text, index)
        found.append(value)
    return found


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _printed_curl(banner: str) -> str:
    lines = banner.splitlines()
    return lines[lines.index("Try:") + 1].strip()


def _printed_sign_in_link(banner: str) -> str:
    line = next(line for line in banner.splitlines() if line.startswith("  Sign-in link"))
    return line.split()[-1]


def _tour_blocks(readme: str) -> list[str]:
    tour = readme[readme.index("## The five-minute tour") :]
    tour = tour[: tour.index("\n## ", 1)]
    return [
        "\n".join(line.removeprefix("   ") for line in block.splitlines())
        for block in re.findall(r"```bash\n(.*?)```", tour, flags=re.S)
    ]


def _run_tour(clone: Path, person: Person, env: dict[str, str]) -> list[str]:
    blocks = _tour_blocks((clone / "README.md").read_text())
    script = "set -euo pipefail\n" + "".join(f"echo '::block {i}::'\n{b}\n" for i, b in enumerate(blocks))
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **person.popen_options(),  # type: ignore[arg-type]
    )
    assert done.returncode == 0, f"the tour failed:\n{done.stdout}\n{done.stderr}"
    return [part.strip() for part in re.split(r"::block \d+::\n", done.stdout)[1:]]


def _leftovers(*paths: Path) -> list[str]:
    found = []
    for path in paths:
        result = subprocess.run(["pgrep", "-af", str(path)], capture_output=True, text=True, check=False)
        found += [line for line in result.stdout.splitlines() if "pgrep" not in line]
    return found


@pytest.fixture
def private_folder() -> Iterator[Path]:
    """A folder of /tmp that only its owner may enter, as a home or `mktemp -d` is."""
    folder = Path(tempfile.mkdtemp(prefix="arcadence-readme-"))
    try:
        yield folder
    finally:
        moved = folder / "home" / "arcadence" / ".arcadence" / "postgres"
        if moved.is_symlink():
            shutil.rmtree(moved.resolve(), ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def _person(kind: str, folder: Path) -> Person:
    if kind == "ordinary user":
        if os.geteuid() != 0:
            pytest.skip("the suite itself runs as an ordinary user: the other case is this one")
        return _ordinary_person(folder)
    home = folder / "home"
    home.mkdir(mode=0o700)
    return Person(pwd.getpwuid(os.geteuid()).pw_name, home)


@pytest.mark.parametrize("kind", ["the suite's user", "ordinary user"])
def test_make_dev_on_a_fresh_clone_prints_a_banner_whose_curl_works_and_ctrl_c_stops_it(
    kind: str, private_folder: Path
) -> None:
    person = _person(kind, private_folder)
    env = _environment(person)
    clone = _fresh_clone(person, env)
    stack = _make_dev(clone, person, env)
    try:
        banner = stack.read_until("Press Ctrl-C to stop.", timeout=240)
        assert f"  Data           {clone / '.arcadence'}\n" in banner
        if os.geteuid() == 0 and person.uid is None:  # root: Postgres runs as its own user
            assert "  Postgres data  /var/lib/arcadence/postgres/" in banner
            assert (clone / ".arcadence" / "postgres").is_symlink()
        else:
            assert "Postgres data" not in banner
            assert (clone / ".arcadence" / "postgres" / "pgdata" / "PG_VERSION").is_file()

        curl = _printed_curl(banner)
        answer = subprocess.run(
            ["bash", "-c", curl], env=env, capture_output=True, text=True, timeout=30, check=True
        )
        customers = json.loads(answer.stdout)
        assert customers["total"] > 0 and customers["items"][0]["name"]
        # The banner's one-time link signs in to the console, once.
        link = _printed_sign_in_link(banner)
        opened = httpx.get(link, timeout=30)
        assert opened.status_code == 303 and opened.headers["location"] == "/console/customers"
        assert "arcadence_console=" in opened.headers["set-cookie"]
        assert httpx.get(link, timeout=30).status_code == 401

        if person.uid is None:
            _check_the_tour(clone, person, env)
    finally:
        output = stack.ctrl_c()
    assert "arcadence stopped." in output
    moved = clone / ".arcadence" / "postgres"
    assert _leftovers(clone, moved.resolve()) == []


def _check_the_tour(clone: Path, person: Person, env: dict[str, str]) -> None:
    setup, workflow, enrollment, pause, reads = _run_tour(clone, person, env)
    assert setup == ""
    assert re.fullmatch(r"workflow \d+", workflow)
    assert re.fullmatch(r"customer \d+, enrollment \d+", enrollment)
    paused, row = _json_documents(pause)
    assert isinstance(paused, dict) and paused["paused"] is True and paused["paused_until"]
    assert isinstance(row, dict) and row["enrollment"]["id"] == int(enrollment.rsplit(" ", 1)[1])
    history, timeline = _json_documents(reads)
    assert isinstance(history, dict)
    assert {"customer_paused", "workflow_reassigned"} <= {h["action"] for h in history["items"]}
    assert isinstance(timeline, dict) and "items" in timeline
