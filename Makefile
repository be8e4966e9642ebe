# The README's two commands. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint databases dist clean

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

# The sdist and the wheel a user installs, checked as PyPI would (tests/test_packaging.py does more)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis dist build cloudtimeouts.egg-info
