# The two commands: `make run` and `make test`. Everything else is what they stand on.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock

.PHONY: run test install lint format lock clean code screenshots bench

$(BIN)/python:
	@py=$$(scripts/find-python.sh) && echo "Using $$py ($$($$py --version))" && $$py -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python $(LOCK) pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	@touch $@

# Test-only browser tools from the npm registry (axe-core for the accessibility checks), pinned
# by package-lock.json; without npm the accessibility tests skip and say why.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility tests will skip (apt-get install npm)"; fi

# The French catalogue, compiled from its source (locale/*/LC_MESSAGES/django.po) by gettext's
# msgfmt; without gettext the interface stays in English and says nothing else.
LOCALES_PO := $(wildcard locale/*/LC_MESSAGES/django.po)
LOCALES_MO := $(LOCALES_PO:.po=.mo)
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	@if command -v msgfmt >/dev/null 2>&1; then \
	  $(BIN)/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules; \
	else echo "msgfmt not found: the French interface needs gettext (apt-get install gettext)"; fi

install: $(VENV)/.installed node_modules/.installed $(LOCALES_MO)

run: install
	@mkdir -p var
	@scripts/run.sh

# The current code of the demo accounts' authenticator (demo mode only).
code: install
	@$(BIN)/python manage.py demo_code

test: install
	@mkdir -p var
	$(BIN)/pytest $(PYTEST_ARGS)

# PNGs of every role's main screens from a fresh demo (temporary database), for docs/screens.md.
screenshots: install
	$(BIN)/python scripts/screenshots.py

# Performance at scale against raw SQL, the stock admin and its own small scale (docs/benchmarks.md).
# PostgreSQL only; a database of its own (tsdash_bench), dropped and rebuilt on every run. The
# default scale (1M cases) takes about 30 minutes on 2 cores; BENCH_ARGS="--scale smoke" takes 2.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the locks from pyproject.toml's pins (needs the dev environment for uv).
lock: install
	$(BIN)/uv pip compile pyproject.toml --python-version 3.12 -o requirements/base.lock --quiet
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 -o $(LOCK) --quiet

clean:
	rm -rf $(VENV) var node_modules
