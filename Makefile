# The one task runner: the README and .ci/run call these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck test-sqlite test-postgres bench mutation clean

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

## Mutation testing (cosmic-ray) of MUTATE against the fast permission and audit tests; not
## part of `make test` (it runs the tests once per mutant). Survivors are listed at the end.
MUTATE       ?= src/accord/auth
MUTATION_DIR := $(VENV)/mutation
mutation: $(VENV)/.installed-test
	mkdir -p $(MUTATION_DIR)
	printf '[cosmic-ray]\nmodule-path = "$(MUTATE)"\ntimeout = 300.0\nexcluded-modules = []\ntest-command = "$(abspath $(BIN))/pytest -x -q -p no:randomly -p no:cacheprovider tests/auth"\n\n[cosmic-ray.distributor]\nname = "local"\n' > $(MUTATION_DIR)/config.toml
	rm -f $(MUTATION_DIR)/session.sqlite
	$(BIN)/cosmic-ray init $(MUTATION_DIR)/config.toml $(MUTATION_DIR)/session.sqlite
	$(BIN)/cosmic-ray exec $(MUTATION_DIR)/config.toml $(MUTATION_DIR)/session.sqlite
	$(BIN)/cr-report $(MUTATION_DIR)/session.sqlite --surviving-only

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
