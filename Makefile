# The two commands: `make build` (install, build the warehouse on the bundled sample, generate the
# docs) and `make test` (install, run pytest and every dbt test). Both need only python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
INSTALLED := $(VENV)/.installed
comma := ,
# Run on your own export: make build RAW=path/to/export.csv [PARTNER=P07] [EXPORT_MONTH=2024-12-01]
RAW ?=
PARTNER ?=
EXPORT_MONTH ?=
DBT_VARS := {$(strip $(if $(RAW),raw_activity_path: '$(RAW)'$(comma)) \
	$(if $(PARTNER),partner_id: '$(PARTNER)'$(comma)) \
	$(if $(EXPORT_MONTH),export_month: '$(EXPORT_MONTH)'$(comma)))}

.PHONY: install build test docs serve-docs bench bench-simulate validate-survival sample lint clean report

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

warehouse/exports:
	mkdir -p warehouse/exports

build: install warehouse/exports
	$(DBT) build --vars "$(DBT_VARS)"
	$(DBT) docs generate --vars "$(DBT_VARS)"

test: install warehouse/exports
	$(BIN)/python -m pytest
	$(DBT) build

docs: build
serve-docs: build
	$(DBT) docs serve

# Rewrites the bundled sample; a test checks that this reproduces the committed file exactly.
sample: install
	$(BIN)/python -m churn.simulate --preset sample --out data/sample/activity.csv.gz --no-truth

# The scale benchmark against the floor and the naive loop (docs/production.md). Sizes as options:
# make bench BENCH_ARGS="--players 200000 --partners 100 --row-factors 0.5,1"
BENCH_ARGS ?=
bench: install
	$(BIN)/churn bench $(BENCH_ARGS)

bench-simulate: install
	$(BIN)/python -m churn.simulate.benchmark

# Fresh simulator data, a warehouse built on it, the model against the truth beside its targets.
validate-survival: install
	$(BIN)/python -m churn.validate survival

# reports/eda.html and reports/models.html from the built warehouse (self-contained HTML).
report: build
	$(BIN)/python -m churn.report --database warehouse/churn.duckdb --out reports

lint: install
	$(BIN)/ruff check python

clean:
	rm -rf target logs warehouse reports
