# `make build` installs what building needs, builds the warehouse (on the bundled sample, or on
# your export with RAW=...) and writes the docs; `make test` installs the test tools and runs
# pytest, which runs every dbt test in folders of its own, never in warehouse/. `make help` lists
# the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
# The warehouse `make build` writes and `make report` / `make serve-docs` read.
DATABASE ?= warehouse/churn.duckdb
# Where `make lint` compiles the models for sqlfluff (an empty warehouse of its own).
LINT_DIR ?= target/lint

# Run on your own export: make build RAW=path/to/export.csv [PARTNER=P07] [EXPORT_MONTH=2024-12-01]
RAW ?=
PARTNER ?=
EXPORT_MONTH ?=
# The values travel to Python through the environment, unexpanded ($(value ...)), and come back
# as JSON (which is YAML), so a path with spaces, quotes, apostrophes, backslashes or dollar signs
# reaches dbt's --vars unchanged.
export CHURN_MAKE_RAW = $(value RAW)
export CHURN_MAKE_PARTNER = $(value PARTNER)
export CHURN_MAKE_EXPORT_MONTH = $(value EXPORT_MONTH)
define DBT_VARS_PY
import json, os
names = {"RAW": "raw_activity_path", "PARTNER": "partner_id", "EXPORT_MONTH": "export_month"}
values = {var: os.environ.get(f"CHURN_MAKE_{key}", "") for key, var in names.items()}
print(json.dumps({var: value for var, value in values.items() if value}))
endef
export DBT_VARS_PY
DBT_VARS = "$$($(BIN)/python -c "$$DBT_VARS_PY")"

# One line about the warehouse that exists: which export it was built from, its month, partners.
define WAREHOUSE_PY
import sys, duckdb
path = sys.argv[1]
with duckdb.connect(path, read_only=True) as db:
    found = db.execute("select count(*) from information_schema.tables where table_schema = "
                       "'meta' and table_name = 'build_runs'").fetchall()[0][0]
    rows = found and db.execute("select raw_activity_path, export_month, partners, finished_at "
                                "from meta.build_runs order by finished_at desc limit 1").fetchall()
    row = rows[0] if rows else None
if row:
    print(f"{path} holds the export {row[0]} (export month {row[1][:7]}, partners {row[2]}; "
          f"built {row[3]:%Y-%m-%d %H:%M})")
else:
    print(f"{path}: built before builds were recorded; which export it holds is unknown")
endef
export WAREHOUSE_PY

# Lock files: the exact versions `make build` and `make test` install (`make lock` rewrites them).
LOCK_RUNTIME := requirements/runtime.txt
LOCK_TEST := requirements/test.txt
LOCK_LINT := requirements/lint.txt
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.10 pyproject.toml

.PHONY: help install install-test install-lint build test docs serve-docs report lock lint lint-python \
	sample bench bench-simulate replay validate-survival clean has-warehouse dbt-vars \
	check-export-env

help:
	@echo "make build [RAW=export.csv PARTNER=P07 EXPORT_MONTH=2024-12-01]  build the warehouse and docs"
	@echo "make test           pytest, whose sample build runs every dbt test (never in warehouse/)"
	@echo "make report         reports/eda.html and reports/models.html from $(DATABASE)"
	@echo "make serve-docs     serve the dbt docs of the last build (target/static_index.html opens as a file)"
	@echo "make lint           ruff, ruff format --check, mypy, sqlfluff"
	@echo "make lock           rewrite requirements/*.txt from pyproject.toml"
	@echo "make replay FROM=YYYY-MM TO=YYYY-MM   monitoring history month by month, reports/monitoring.html"
	@echo "make bench          the scale benchmark (BENCH_ARGS=...)"
	@echo "make validate-survival | bench-simulate | sample | clean"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Each stamp installs one lock file, then the package itself without resolving anything more.
$(VENV)/.runtime: $(LOCK_RUNTIME) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(LOCK_RUNTIME)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test: $(LOCK_TEST) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(LOCK_TEST)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.runtime

$(VENV)/.lint: $(LOCK_LINT) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(LOCK_LINT)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.runtime
install-test: $(VENV)/.test
install-lint: $(VENV)/.lint

warehouse/exports:
	mkdir -p warehouse/exports

build: check-export-env install warehouse/exports
	$(DBT) build --vars $(DBT_VARS)
	$(DBT) docs generate --static --vars $(DBT_VARS)

# pytest builds its own throw-away warehouses; its session's `dbt build` of the sample runs every
# data and unit test once (python/tests/test_sample_build.py checks it), so none runs twice.
# Worker processes (pytest-xdist), each taking whole test files: most of the suite is dbt
# parsing, one core per dbt process. make test TEST_WORKERS=0 runs it in one process.
# `make lint`'s quick checks run first (a finding stops here, within seconds); sqlfluff, about two
# minutes of one core, runs beside pytest, which leaves part of a core idle. Its output is held in
# $(LINT_DIR)/sqlfluff.log and printed after pytest's; make test fails if either fails.
TEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: lint-python install-test
	@mkdir -p $(LINT_DIR); echo "$(SQLFLUFF) > $(LINT_DIR)/sqlfluff.log (beside pytest)"; \
	$(SQLFLUFF) > $(LINT_DIR)/sqlfluff.log 2>&1 & sqlfluff=$$!; \
	echo "$(PYTEST)"; $(PYTEST); tests=$$?; \
	wait $$sqlfluff; linted=$$?; \
	echo; echo "sqlfluff lint (run beside pytest; exit $$linted):"; cat $(LINT_DIR)/sqlfluff.log; \
	if [ $$linted -ne 0 ]; then echo "error: sqlfluff lint failed (above)" >&2; fi; \
	if [ $$tests -ne 0 ]; then echo "error: pytest failed (exit $$tests)" >&2; fi; \
	[ $$linted -eq 0 ] && [ $$tests -eq 0 ]

# CHURN_RAW_ACTIVITY_PATH takes the place of the var raw_activity_path (churn's own dbt runs pass
# the export there): a RAW on the command line is never silently overridden by it.
check-export-env:
	@if [ -n "$$CHURN_RAW_ACTIVITY_PATH" ] && [ -n "$$CHURN_MAKE_RAW" ] && \
		[ "$$CHURN_RAW_ACTIVITY_PATH" != "$$CHURN_MAKE_RAW" ]; then \
		printf 'error: RAW is %s but the environment variable CHURN_RAW_ACTIVITY_PATH (%s) would take its place: unset CHURN_RAW_ACTIVITY_PATH\n' "$$CHURN_MAKE_RAW" "$$CHURN_RAW_ACTIVITY_PATH" >&2; \
		exit 2; \
	elif [ -n "$$CHURN_RAW_ACTIVITY_PATH" ]; then \
		printf 'building the export the environment variable CHURN_RAW_ACTIVITY_PATH names: %s\n' "$$CHURN_RAW_ACTIVITY_PATH"; \
	fi

# The --vars JSON a build would get (the tests check its quoting).
dbt-vars:
	@$(BIN)/python -c "$$DBT_VARS_PY"

has-warehouse:
	@test -f $(DATABASE) || { echo "error: there is no warehouse at $(DATABASE): run 'make build' (or 'make build RAW=path/to/export.csv') first" >&2; exit 1; }
	@$(BIN)/python -c "$$WAREHOUSE_PY" $(DATABASE)

# The reports and docs read the warehouse that exists; they never rebuild it.
report: install has-warehouse
	$(BIN)/python -m churn.report --database $(DATABASE) --out reports

docs: serve-docs
serve-docs: install has-warehouse
	@test -f target/manifest.json || { echo "error: no docs in target/: run 'make build' first" >&2; exit 1; }
	$(DBT) docs serve

# Rewrites the lock files from pyproject.toml (uv resolves for every platform, Python >= 3.10).
# Each lock is constrained by the one before it, so the three share every common version and
# `make test` after `make build` (or `make lint` after `make test`) only adds packages.
lock: install-lint
	$(UV_COMPILE) -o $(LOCK_RUNTIME)
	$(UV_COMPILE) --extra test -c $(LOCK_RUNTIME) -o $(LOCK_TEST)
	$(UV_COMPILE) --extra lint -c $(LOCK_TEST) -o $(LOCK_LINT)

# The same hooks as .pre-commit-config.yaml, over the whole tree (`make test` runs it first).
# sqlfluff's dbt templater compiles every model into a DuckDB file of its own, so linting never
# opens (or locks) the warehouse and its result does not depend on what was built.
LINT_ENV = CHURN_DUCKDB_PATH=$(LINT_DIR)/churn.duckdb CHURN_EXPORT_ROOT=$(LINT_DIR)/exports
SQLFLUFF = $(LINT_ENV) $(BIN)/sqlfluff lint models macros analyses
lint: lint-python
	$(SQLFLUFF)

# The quick part of `make lint` (seconds): `make test` runs it first, then sqlfluff beside pytest.
lint-python: install-lint
	$(BIN)/ruff check python models
	$(BIN)/ruff format --check python models
	$(BIN)/mypy

# Rewrites the bundled sample; a test checks that this reproduces the committed file exactly.
sample: install
	$(BIN)/python -m churn.simulate --preset sample --out data/sample/activity.csv.gz --no-truth

# The scale benchmark against the floor and the naive loop (docs/production.md). Sizes as options:
# make bench BENCH_ARGS="--players 200000 --partners 100 --row-factors 0.5,1"
BENCH_ARGS ?=
bench: install
	$(BIN)/churn bench $(BENCH_ARGS)

# Monitoring history month by month from one historical export (docs/monitoring.md), then its
# report: make replay FROM=2024-01 TO=2024-12 [RAW=export.csv]
FROM ?=
TO ?=
replay: install
	$(BIN)/churn replay --export $(or $(value RAW),data/sample/activity.csv.gz) --from $(FROM) --to $(TO) --workdir warehouse/replay --report
	$(BIN)/python -m churn.report.monitoring --database warehouse/replay/churn.duckdb --out reports

bench-simulate: install
	$(BIN)/python -m churn.simulate.benchmark

# Fresh simulator data, a warehouse built on it, the model against the truth beside its targets.
validate-survival: install
	$(BIN)/python -m churn.validate survival

clean:
	rm -rf target logs warehouse reports
