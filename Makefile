# Tournée: two commands. `make run` opens the dashboard on a seeded SQLite database;
# `make test` installs everything (including headless Chromium) and runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test lint install browser demo bench clean lock

# requirements.lock pins the whole environment CI tested (regenerate with `make lock`).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the end-to-end tests: Debian's package, never `playwright install`.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: end-to-end tests will be skipped (install Debian's chromium)"; fi; }

demo: install
	$(VENV)/bin/tournee demo --if-empty

run: demo
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT)

# The house checks: formatting and lint, the import layers, types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

test: install browser lint
	$(PY) -m pytest -n 2 --durations=25 $(PYTEST_ARGS)

lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^tournee' > requirements.lock

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/compare.py --days

clean:
	rm -rf $(VENV) var
