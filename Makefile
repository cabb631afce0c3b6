# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The development commands run in debug (the default settings refuse the public development
# secret otherwise); `make serve` runs production settings and sets DEBUG=0 itself.
export DEBUG ?= 1

.PHONY: run serve bench bench-flash-sale test test-faults deps services check lint typecheck pytest migrate seed down bench-queue bench-booking bench-events bench-middleware

$(STAMP): pyproject.toml
	scripts/services deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $(STAMP)

deps: $(STAMP)

services: deps
	scripts/services up

migrate: services
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# API on http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all of it.
run: deps
	scripts/run

# The same in production settings, a granian worker per core, no demo data (needs SECRET_KEY).
serve: deps
	scripts/run --production

# The bench commands have no .py suffix, so ruff would not find them by itself.
PY_SCRIPTS := scripts/bench scripts/bench-queue scripts/bench-booking scripts/bench-events \
	scripts/bench-flash-sale scripts/bench-middleware scripts/cpu-by-process

lint: deps
	$(VENV)/bin/ruff check . $(PY_SCRIPTS)
	$(VENV)/bin/ruff format --check . $(PY_SCRIPTS)
	$(VENV)/bin/lint-imports --no-cache

typecheck: deps
	$(VENV)/bin/mypy domain adapters apps config

pytest: services
	$(VENV)/bin/pytest

check: lint typecheck pytest

# Only the fault-injection suite (tests/faults): dependencies broken mid-sale (~2 minutes).
test-faults: services
	$(VENV)/bin/pytest -m faults

test: check

# The waiting-room benchmark: k6 against granian and nginx, writes docs/PERFORMANCE.md
# (~15 minutes).
bench-queue: services
	$(PY) scripts/bench-queue $(ARGS)

# What each middleware costs per request, in-process (~1 minute).
bench-middleware: deps
	$(PY) scripts/bench-middleware

# Holds and payments under load: k6/booking.js, then reconcile (~3 minutes).
bench-booking: services
	$(PY) scripts/bench-booking $(ARGS)

# Relay throughput and commit-to-handler lag (~1 minute).
bench-events: services
	$(PY) scripts/bench-events $(ARGS)

# 20,000 fans in 10 s for 5,000 seats (~30 minutes for every rate and adaptive); ARGS=--scale-out for
# nginx + Redis Cluster. Every bench takes its options in ARGS (scripts/bench-* --help).
bench-flash-sale: services
	$(PY) scripts/bench-flash-sale $(ARGS)

# Everything above, then the comparison with the published numbers (~25 minutes).
bench: services
	$(PY) scripts/bench

down:
	scripts/services down
