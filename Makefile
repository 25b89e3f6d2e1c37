# Tournée: two commands. `make run` opens the dashboard on a seeded SQLite database;
# `make test` installs everything (including headless Chromium) and runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test install browser demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
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

test: install browser
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/compare.py --days

clean:
	rm -rf $(VENV) var
