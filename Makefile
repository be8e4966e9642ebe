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

# The suite on PYTEST_WORKERS pytest-xdist workers (measured on a 2-core machine: the tests
# mostly wait on subprocesses, servers and timeouts, so more workers than cores pays). Modules
# whose set-up is expensive stay whole on one worker (pytest.mark.xdist_group, --dist loadgroup).
# PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= 3
test: databases lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

# The sdist and the wheel a user installs, checked as PyPI would (tests/test_packaging.py does more)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis dist build cloudtimeouts.egg-info
