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
# mostly wait on subprocesses, servers and timeouts, so more workers than cores pays). Each
# module runs whole on one worker (--dist loadfile), so that a module's expensive fixtures (the
# packaging build and venvs, the pre-commit environment) are made once. (--dist loadgroup would
# be finer, but pytest-xdist 3.8's groups have no effect under pytest 9.2: it renames
# `item._nodeid`, which pytest 9.2 no longer reads.) PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 3
test: databases lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The sdist and the wheel a user installs, checked as PyPI would (tests/test_packaging.py does more)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis dist build cloudtimeouts.egg-info
