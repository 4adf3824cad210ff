# Ulasan: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo has a home of its own inside the clone (ignored by git), so example data
# never mixes into the real home (ULASAN_HOME, default ~/.local/share/ulasan).
DEMO_HOME ?= $(CURDIR)/data/demo
DEMO := ULASAN_HOME="$(DEMO_HOME)" DATA_DIR=data SECRET_KEY= \
	DATABASE_URL="sqlite+aiosqlite:///$(DEMO_HOME)/data/ulasan.db" $(BIN)/ulasan

.PHONY: help install install-test install-bench deploy-tools doc-tools doc-tools-browser demo run test test-pg lint format i18n-check bench clean

help:
	@echo "make install - create .venv and install Ulasan (the first step of a real installation)"
	@echo "make demo   - install, load the example organisation into its own home data/demo, start the bot (needs BOT_TOKEN)"
	@echo "make run    - install, migrate the database and start the bot in the foreground (no example data)"
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

install: $(VENV)/.installed doc-tools

install-test: $(VENV)/.installed-test

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,bench]"
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

install-bench: $(VENV)/.installed-bench

demo: install
	@$(DEMO) check --require-token
	$(DEMO) db upgrade
	$(DEMO) import units examples/units.csv
	$(DEMO) import services examples/services.csv
	$(DEMO) import employees examples/employees.csv
	$(DEMO) link-codes
	$(DEMO) qr --format table
	$(DEMO) run --no-migrate

run: install
	$(BIN)/ulasan run

# systemd-analyze for tests/test_deploy.py (installed from the distribution when missing).
deploy-tools:
	@bash .ci/ensure-systemd-analyze.sh

# The PDF route's Pango and fonts (every installation), and the headless Chromium the
# tests check the published pages with; from the distribution's packages when missing.
doc-tools:
	@bash .ci/ensure-doc-tools.sh

doc-tools-browser:
	@bash .ci/ensure-doc-tools.sh --browser

test: install-test deploy-tools doc-tools-browser
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole `make test` again, on a throwaway PostgreSQL cluster (.ci/pg-cluster.sh:
# installs the server from the distribution's packages when missing, stops and
# removes the cluster afterwards); every test gets a database of its own. The checks of
# rendered PDFs and pages in the browser (marker `render`) ran in the SQLite pass and are
# skipped here (ULASAN_RENDER_CHECKS=skip, refused anywhere but on PostgreSQL).
test-pg: install-test
	ULASAN_RENDER_CHECKS=skip bash .ci/pg-cluster.sh run $(MAKE) --no-print-directory test

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
