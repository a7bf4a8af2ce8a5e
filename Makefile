# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app organizer
PYTEST_ARGS ?=

.PHONY: run test lint install install-test chromium ffmpeg nginx libreoffice libical axe wheel wrk db demo outbox bench messages translations compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed compile
install-test: $(VENV)/.installed-test compile

## make wheel: the package as operators install it (templates, static files, migrations, translations inside)
wheel: $(VENV)/.installed
	rm -rf dist build
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

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

## make lint: ruff, mypy and the import contracts, all configured in pyproject.toml
lint: install-test
	$(BIN)/ruff check organizer tests
	$(BIN)/mypy organizer
	$(BIN)/lint-imports

## make test: set up, lint (above), run the whole suite (browser tests use Debian's Chromium)
test: lint chromium ffmpeg nginx libreoffice libical axe compile
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

# The door scanner's browser test films a ticket's QR code with ffmpeg for Chromium's fake camera.
ffmpeg:
	@if ! command -v ffmpeg >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's ffmpeg for the door scanner's browser test..."; \
	    (apt-get install -y -qq ffmpeg >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq ffmpeg >/dev/null)) \
	      || echo "!!! Could not install ffmpeg: THE SCANNER'S CAMERA TESTS WILL BE SKIPPED !!!"; \
	  else \
	    echo "!!! ffmpeg is missing (sudo apt-get install -y ffmpeg): THE SCANNER'S CAMERA TESTS WILL BE SKIPPED !!!"; \
	  fi; \
	fi

## tests/deploy puts Debian's nginx in front of gunicorn: installed here when missing (as root), with a
## policy-rc.d that refuses for the time of the install, so the package starts no system nginx on port 80.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nginx-light for the deployment tests..."; \
	    added_policy=; \
	    if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1; \
	    fi; \
	    (apt-get install -y -qq nginx-light >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null)) \
	      || echo "!!! Could not install nginx: THE NGINX DEPLOYMENT TEST WILL BE SKIPPED (and fail under CI=true) !!!"; \
	    if [ -n "$$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	  else \
	    echo "!!! nginx is missing and cannot be installed here (run: sudo apt-get install -y nginx-light): THE NGINX DEPLOYMENT TEST WILL BE SKIPPED !!!"; \
	  fi; \
	fi

## The XLSX export is printed to PDF by LibreOffice and read back with poppler's pdfinfo/pdftotext
## (tests/services/test_export_pdf.py); the install takes a few minutes.
libreoffice:
	@if ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's libreoffice-calc-nogui and poppler-utils for the export print test (minutes)..."; \
	    (apt-get install -y -qq libreoffice-calc-nogui poppler-utils >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libreoffice-calc-nogui poppler-utils >/dev/null)) \
	      || echo "!!! Could not install LibreOffice: THE EXPORT PRINT TEST WILL BE SKIPPED (and fail under CI=true) !!!"; \
	  else \
	    echo "!!! LibreOffice is missing (sudo apt-get install -y libreoffice-calc-nogui poppler-utils): THE EXPORT PRINT TEST WILL BE SKIPPED !!!"; \
	  fi; \
	fi

# The calendar feed is read back by a second, independent parser: libical, through the system python3's
# GObject bindings (Debian's python3-gi and gir1.2-ical-3.0); tests/services/test_calendar_feed.py calls it.
libical:
	@if ! /usr/bin/python3 -c "import gi; gi.require_version('ICal', '3.0')" >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's libical bindings (python3-gi, gir1.2-ical-3.0) for the calendar feed test..."; \
	    (apt-get install -y -qq python3-gi gir1.2-ical-3.0 >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq python3-gi gir1.2-ical-3.0 >/dev/null)) \
	      || echo "!!! Could not install libical's bindings: THE SECOND-PARSER CALENDAR TEST WILL BE SKIPPED (and fail under CI=true) !!!"; \
	  else \
	    echo "!!! libical's bindings are missing (sudo apt-get install -y python3-gi gir1.2-ical-3.0): THE SECOND-PARSER CALENDAR TEST WILL BE SKIPPED !!!"; \
	  fi; \
	fi

outbox: install
	$(FLASK) outbox send --loop

## make bench: the hot paths against a hello-world ceiling (PostgreSQL, gunicorn, wrk; about 14 minutes).
## BENCH_ARGS=--quick for a few seconds on tiny data; see bench/README.md.
bench: install wrk
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.mail $(BENCH_ARGS)

wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null); \
	  else \
	    echo "!!! wrk is missing and cannot be installed here (run: sudo apt-get install -y wrk) !!!"; exit 1; \
	  fi; \
	fi

## Translations (README "Translations: how to add a language"). English is the source language.
## KEYWORDS is also read by tests/test_translations.py, which extracts the same way in-process.
TRANSLATIONS := organizer/translations
KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k lazy_npgettext:1c,2,3
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

## make messages: every string in the code and templates into messages.pot
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --add-comments=Translators: --sort-by-file --no-wrap \
	  --project=Organizer --copyright-holder="Organizer contributors" --msgid-bugs-address="" \
	  -o $(TRANSLATIONS)/messages.pot .

## make translations: messages.pot, then every language's messages.po brought up to date with it
## (new strings arrive empty, changed ones fuzzy: both fail tests/test_translations.py until translated)
translations: messages
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete --no-wrap

## make compile: messages.po -> messages.mo (not committed; install, run and test do this)
compile: $(CATALOGS:.po=.mo)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build dist
