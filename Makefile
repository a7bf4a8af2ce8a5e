# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app organizer
PYTEST_ARGS ?=

.PHONY: run test install install-test chromium axe wrk db demo outbox bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

db: install
	mkdir -p instance
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

## make run: set up everything and serve on http://127.0.0.1:5000 (SQLite, demo data, mail to instance/mail/)
run: demo
	@echo "Organizer on http://127.0.0.1:5000  —  demo login: organizer@example.org / solidarity-2012"
	@echo "Emails are written to instance/mail/ as .eml files."
	@trap 'kill 0' INT TERM EXIT; \
	  $(FLASK) outbox send --loop & \
	  $(FLASK) run --host 127.0.0.1 --port 5000

## make test: set up, check the import contracts (pyproject.toml), run the whole suite (browser tests use Debian's Chromium)
test: install-test chromium axe
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

## axe-core for the accessibility browser tests, from the npm registry (pinned by its package-lock.json)
AXE_DIR := tests/browser/axe
axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js

$(AXE_DIR)/node_modules/axe-core/axe.min.js: $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(AXE_DIR) --no-audit --no-fund --silent && touch $@ \
	    || echo "!!! npm could not install axe-core: ACCESSIBILITY TESTS WILL BE SKIPPED !!!"; \
	else \
	  echo "!!! npm is missing (apt-get install -y npm): ACCESSIBILITY TESTS WILL BE SKIPPED !!!"; \
	fi

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) \
	      || echo "!!! Could not install chromium: BROWSER TESTS WILL BE SKIPPED !!!"; \
	  else \
	    echo "!!! /usr/bin/chromium is missing and cannot be installed here (run: sudo apt-get install -y chromium): BROWSER TESTS WILL BE SKIPPED !!!"; \
	  fi; \
	fi

outbox: install
	$(FLASK) outbox send --loop

## make bench: the hot paths against a hello-world ceiling (PostgreSQL, gunicorn, wrk; about 10 minutes).
## BENCH_ARGS=--quick for a few seconds on tiny data; see bench/README.md.
bench: install wrk
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null); \
	  else \
	    echo "!!! wrk is missing and cannot be installed here (run: sudo apt-get install -y wrk) !!!"; exit 1; \
	  fi; \
	fi

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o organizer/translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache
