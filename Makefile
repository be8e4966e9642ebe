# The README's two commands. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint databases clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The whole flow on local emulators (AWS, GCP, Azure): no cloud account, no configuration.
demo: $(STAMP)
	$(BIN)/cloudtimeouts demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# PostgreSQL and MariaDB servers for the database tests (installed from Debian packages if missing)
databases:
	bash scripts/ensure-databases.sh

test: databases lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
