# The one task runner: the README and .ci/run call these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

## Install and start Accord at http://127.0.0.1:8000 with the demo department.
run: $(VENV)/.installed-run
	$(BIN)/accord serve

## Install everything and run lint, types and the whole suite on SQLite and PostgreSQL.
test: $(VENV)/.installed-test lint typecheck test-sqlite test-postgres

## ruff, and the import contracts of pyproject.toml (capabilities below web and cli, deid pure,
## db below every capability).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test-sqlite: $(VENV)/.installed-test
	ACCORD_TEST_DB=sqlite $(BIN)/pytest

test-postgres: $(VENV)/.installed-test
	ACCORD_TEST_DB=postgresql ACCORD_TEST_PG_URL=$(PG_URL) $(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(ONLY)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
