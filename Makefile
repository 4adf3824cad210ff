# Ulasan: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATABASE_URL ?= sqlite+aiosqlite:///./data/demo.db
DEMO_QR_DIR ?= data/demo-qr

.PHONY: help install install-test install-bench demo run test test-pg lint format i18n-check bench clean

help:
	@echo "make demo   - install, load the example organisation into data/demo.db, start the bot (needs BOT_TOKEN)"
	@echo "make run    - install, migrate DATABASE_URL and start the bot (no example data)"
	@echo "make test   - install the test extras and run the whole suite and ruff"
	@echo "make test-pg - the same on a throwaway PostgreSQL cluster (installs the server if missing)"
	@echo "make bench  - run the benchmarks in bench/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[postgres]"
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,postgres]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,bench]"
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

install-bench: $(VENV)/.installed-bench

demo: install
	@DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan check --require-token
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan db upgrade
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan import units examples/units.csv
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan import services examples/services.csv
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan import employees examples/employees.csv
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan link-codes
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan qr --out $(DEMO_QR_DIR) --format table
	DATABASE_URL="$(DEMO_DATABASE_URL)" $(BIN)/ulasan run --no-migrate

run: install
	$(BIN)/ulasan run

test: install-test
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole `make test` again, on a throwaway PostgreSQL cluster (.ci/pg-cluster.sh:
# installs the server from the distribution's packages when missing, stops and
# removes the cluster afterwards); every test gets a database of its own.
test-pg: install-test
	bash .ci/pg-cluster.sh run $(MAKE) --no-print-directory test

# Benchmarks (not part of `make test`): `make bench`, or one of them with
# `make bench BENCH=rollup`; `BENCH_ARGS=--quick` for a smoke run. See BENCHMARKS.md.
bench: install-bench
	$(BIN)/python -m bench $(BENCH) $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

i18n-check: install
	$(BIN)/python -m bot.core.i18n_check

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
