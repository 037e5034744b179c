"""What a benchmark prints and measures: the command line, the `RATIO` lines and raw figures,
the machine it ran on, percentiles, and the CPU each process spent."""

from __future__ import annotations

import argparse
import logging
import operator
import os
import platform
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import psutil

from workers.logs import configure_logging

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": lambda a, b: abs(a - b) < 1e-9,
}


# --- command line and output ---------------------------------------------------------------


def parse_args(
    description: str, more: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """`--quick`, and the benchmark's own options added by `more`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller N (make bench-quick)")
    if more is not None:
        more(parser)
    args = parser.parse_args()
    # INFO logs one line per activity; at thousands of steps they would drown the figures.
    configure_logging("WARNING")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    return args


def say(message: str) -> None:
    print(message, flush=True)


def figure(name: str, value: float | int | str, unit: str = "") -> None:
    """One raw figure, `  name = value unit`, beside the RATIO line it explains."""
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    say(f"  {name} = {shown} {unit}".rstrip())


def ratio_line(name: str, value: float, op: str, target: float) -> bool:
    """Print `RATIO <name> <value> target <op> <target>`; returns whether the target is met."""
    met = OPS[op](round(value, 3), target)
    say(f"RATIO {name} {value:.3f} target {op} {target:g}")
    say(f"  {'met' if met else 'MISSED'}: {name} {value:.3f} {op} {target:g}")
    return met


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 100 values is the 99th)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


# --- CPU by process ----------------------------------------------------------------------


class CpuMeter:
    """CPU seconds spent by this process, Postgres and Temporal between `start` and `stop`:
    on a small machine the three share the cores, and this says which one a figure waits on."""

    GROUPS = ("python (bench, worker, API)", "postgres", "temporal server")
    # The data directory of this benchmark's Postgres (set by `services`).
    pgdata = ""

    def __init__(self) -> None:
        self._before: dict[int, tuple[str, float]] = {}

    @staticmethod
    def _sample() -> dict[int, tuple[str, float]]:
        """CPU seconds by pid of this process and its children (workers, API, Temporal) and of
        this benchmark's own Postgres (found by its data directory; other Postgres servers on
        the machine are not counted). A process that ended between samples is not counted."""
        me = psutil.Process()
        mine: list[tuple[str, psutil.Process]] = [(CpuMeter.GROUPS[0], me)]
        for child in me.children(recursive=True):
            name = child.name().lower()
            group = CpuMeter.GROUPS[2] if name.startswith("temporal") else CpuMeter.GROUPS[0]
            mine.append((group, child))
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if CpuMeter.pgdata and CpuMeter.pgdata in cmdline:
                mine.append((CpuMeter.GROUPS[1], proc))
                mine.extend((CpuMeter.GROUPS[1], backend) for backend in proc.children())
        found: dict[int, tuple[str, float]] = {}
        for group, proc in mine:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            found[proc.pid] = (group, float(times.user + times.system))
        return found

    def start(self) -> None:
        self._before = self._sample()

    def stop(self, wall: float, label: str) -> None:
        spent = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, seconds) in self._sample().items():
            spent[group] += seconds - self._before.get(pid, (group, 0.0))[1]
        parts = ", ".join(f"{g} {spent[g]:.1f}s ({spent[g] / wall * 100:.0f}%)" for g in self.GROUPS)
        figure(f"{label} CPU over {wall:.1f}s wall", parts)
