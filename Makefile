# arcadence: `make dev` runs the whole stack locally, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; \
	done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev-embedded
# The exact versions every install uses; `make lock` rewrites it (CPython 3.11, x86_64 Linux).
CONSTRAINTS := constraints.txt
UV_VERSION := 0.13.8

.PHONY: install lock lint typecheck test test-fast dev migrate screenshots bench bench-quick bytecode clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstalls only when pyproject.toml or the lock changes; pip's own check does the rest.
$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[dev,embedded]'
	@touch $(STAMP)

install: $(STAMP)

# Resolves pyproject.toml (all extras) afresh in a throwaway venv and rewrites the lock.
# Run it on purpose, then `make test`, then commit constraints.txt.
lock:
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install -q uv==$(UV_VERSION) && \
	"$$tmp/venv/bin/uv" pip compile pyproject.toml --extra dev --extra embedded --extra bench --extra screenshots \
		--upgrade --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" --quiet -o $(CONSTRAINTS)
	@echo "wrote $(CONSTRAINTS)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

typecheck: $(STAMP)
	$(BIN)/mypy .

# The console's browser test drives Debian's Chromium: installed here when missing and run as root.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; \
	else echo "Chromium is needed for the console's browser test: sudo apt-get install -y chromium" >&2; exit 1; fi

test: lint chromium bytecode
	$(BIN)/pytest

# The quick tests only: no engine, fault, end-to-end or browser suite (markers in tests/conftest.py).
test-fast: bytecode
	$(BIN)/pytest -x -q -m "not slow"

migrate: $(STAMP)
	$(BIN)/arcadence migrate

dev: bytecode
	$(BIN)/arcadence dev

# The workflow modules' bytecode, written even under PYTHONDONTWRITEBYTECODE: the worker's
# sandbox executes `workflows/enrollment.py` afresh for each new or evicted workflow, and from
# source that is a compile each time (twice the cost of an instance; an installed package has
# its bytecode already). Benchmark 10 measures it.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q workflows

# Not part of `make test`: needs Debian's chromium (apt-get install chromium).
screenshots: $(STAMP)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[screenshots]'
	$(BIN)/python scripts/screenshots.py

# Not part of `make test`: each benchmark starts its own Postgres and Temporal (BENCHMARKS.md).
bench: bytecode
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python -m bench.run_all

bench-quick: bytecode
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python -m bench.run_all --quick

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
