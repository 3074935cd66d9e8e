# Khabar: `make run` serves the demo on 127.0.0.1:$(PORT) (runtime dependencies only); `make test`
# installs what the suite needs (dev dependencies, Node tools, Debian's chromium and varnish) and
# runs lint (ruff and mypy), then the suite on SQLite and then on PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
TEST_WORKERS ?= 3
DEMO_ARTICLES ?= 200

.PHONY: venv dev tools system-packages run test test-sqlite test-postgres test-quick lint fmt openapi migrate \
	revision bench bench-search fuzz load clean

# Runtime dependencies only (requirements.lock): what serving needs.
$(BIN)/khabar: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/khabar

# The test and development toolchain on top (requirements-dev.lock: pytest, schemathesis, ruff...).
$(VENV)/.dev: $(BIN)/khabar requirements-dev.lock
	$(BIN)/python -m pip install -q -r requirements-dev.lock
	touch $@

dev: $(VENV)/.dev

# Debian packages the suite drives: chromium (the browser CORS test; playwright-core brings no
# browser) and varnish (a real shared cache in front of a live server). Installed with apt-get
# when missing, as root (or through sudo).
SYSTEM_PACKAGES := /usr/bin/chromium:chromium /usr/sbin/varnishd:varnish
APT := $(if $(filter 0,$(shell id -u)),,sudo )apt-get
system-packages:
	@missing="$(foreach p,$(SYSTEM_PACKAGES),$(if $(wildcard $(firstword $(subst :, ,$(p)))),,$(lastword $(subst :, ,$(p)))))"; \
	missing="$$(echo $$missing)"; \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing (Debian packages the suite needs)"; \
		$(APT) update -q && DEBIAN_FRONTEND=noninteractive $(APT) install -y -q $$missing; \
	fi

# Pinned Node tools the suite runs (OpenAPI linters, client generators, playwright-core); the
# stamp re-installs them only when the lock changes.
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	touch $@

tools: tools/node_modules/.installed

run: venv
	mkdir -p var
	$(BIN)/khabar db upgrade
	$(BIN)/khabar demo load --articles $(DEMO_ARTICLES)
	$(BIN)/khabar serve --host 127.0.0.1 --port $(PORT)

# The whole suite: every test on SQLite, then on PostgreSQL every test that reaches a database.
# The others (Node linters and client generators, the browser, hadolint, renderers... marked
# db_independent by tests/conftest.py, which also makes sure they never touch one) would only
# run a second time. `--dist worksteal`: an idle worker takes queued tests from another, so a
# long test near the end does not leave a core idle.
# TEST_WORKERS: three on this two-core machine. A fifth of each worker's time is waiting (live
# servers starting in subprocesses, long polls, timeouts the tests provoke), which a third worker
# fills: the SQLite pass took 212 s with two and 184 s with three, PostgreSQL's 223 s and 203 s.
# `lint` (ruff and mypy --strict) first, so a type error fails too.
test: system-packages tools lint test-sqlite test-postgres

test-sqlite: dev tools
	DATABASE_URL=sqlite:// $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-postgres: dev tools
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not db_independent" $(PYTEST_ARGS)

# For development: SQLite only, without the tests marked slow (live servers in subprocesses,
# Node tools, the browser, fuzzing, property tests with many examples). `make test` runs them.
test-quick: dev
	DATABASE_URL=sqlite:// $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

# ruff, then mypy --strict with pydantic's plugin over app/ and migrations/env.py (the files and
# settings are in pyproject.toml's [tool.mypy]); `make test` runs it first, so a type error fails CI.
lint: dev
	$(BIN)/ruff check app tests migrations/env.py tools/mypy_sqlmodel.py
	$(BIN)/mypy

fmt: dev
	$(BIN)/ruff check --fix app tests

openapi: venv
	$(BIN)/khabar openapi export

migrate: venv
	$(BIN)/khabar db upgrade

revision: dev
	$(BIN)/alembic revision --autogenerate -m "$(m)"

# The scenario table at 2 workers, then list throughput at 1, 2 and 4 workers (`python -m
# bench.run --help`: --db postgres, --articles 100000, --only search,changes, ...), webhook and
# change delivery, and a newsroom day: Zipf reads while drafts are saved and articles published
# (`python -m bench.newsroom_day --help`: response-cache hit ratio and read latency).
# Then the Editorial API load: 10,000 articles created and published by 4 clients on SQLite
# and PostgreSQL, against an authenticated GET in the same run, and the database's size per
# table and index (`python -m bench.editorial --help`: --articles, --clients, --db).
BENCH_ARGS ?= --workers 1,2,4
bench: dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.changes $(BENCH_CHANGES_ARGS)
	$(BIN)/python -m bench.newsroom_day $(BENCH_DAY_ARGS)
	$(BIN)/python -m bench.editorial $(BENCH_EDITORIAL_ARGS)

# Search latency at 100,000 articles on SQLite and PostgreSQL, next to a list request in the same
# rounds, and the index's build time and size (`python -m bench.search --help`: --reuse keeps
# the corpora for the next run, --compare PATH serves another source tree beside this one).
BENCH_SEARCH_ARGS ?= --reuse
bench-search: dev
	$(BIN)/python -m bench.search $(BENCH_SEARCH_ARGS)

# schemathesis over every operation (tests/fuzz), FUZZ_EXAMPLES per operation (the suite runs 10),
# on SQLite and then on PostgreSQL; each run ends with "0 failures in N schemathesis cases".
FUZZ_EXAMPLES ?= 500
fuzz: dev
	DATABASE_URL=sqlite:// KHABAR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -n 2 tests/fuzz $(PYTEST_ARGS)
	DATABASE_URL=$(TEST_DATABASE_URL) KHABAR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -n 2 tests/fuzz $(PYTEST_ARGS)

# 60 s of mixed reads and writes on a fresh SQLite database (LOAD_ARGS="--db postgres" for
# PostgreSQL; `python -m bench.load --help`), then every acknowledged write checked in it.
LOAD_ARGS ?=
load: dev
	$(BIN)/python -m bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
