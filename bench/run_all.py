"""Run every benchmark, each in a process of its own, and summarise their RATIO lines.

Exits non-zero only when a benchmark crashes: a missed target is a figure, not a failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHMARKS = (
    "bench_bulk_enroll",
    "bench_wake",
    "bench_worker_memory",
    "bench_history_bound",
    "bench_invoices_per_customer",
    "bench_api_load",
    "bench_scale_out",
    "bench_temporal_cost",
    "bench_big_day",
    "bench_sandbox",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the small sizes (make bench-quick)")
    parser.add_argument("only", nargs="*", help="run only these benchmarks (e.g. bench_wake)")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b in args.only]
    ratios: list[str] = []
    crashed: list[str] = []
    began = time.monotonic()
    for name in chosen:
        print(f"\n=== {name}{' --quick' if args.quick else ''}", flush=True)
        started = time.monotonic()
        command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            assert process.stdout is not None
            for line in process.stdout:
                print(line, end="", flush=True)
                if line.startswith("RATIO "):
                    ratios.append(line.strip())
        print(f"=== {name}: {time.monotonic() - started:.0f}s, exit {process.returncode}", flush=True)
        if process.returncode != 0:
            crashed.append(name)
    print(f"\n=== summary ({time.monotonic() - began:.0f}s{', quick' if args.quick else ''})")
    for line in ratios:
        print(line)
    for name in crashed:
        print(f"CRASHED {name}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
