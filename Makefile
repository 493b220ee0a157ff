# The two commands a newcomer needs: `make run` and `make test`. Both create the
# virtual environment with Python 3.13 and install the locked dependencies themselves.
PYTHON_VERSION := 3.13
# The interpreter .venv is built with: python3.13 on PATH if it runs, else the newest
# pyenv-installed 3.13.x (tools/find-python). `make PYTHON=/path/to/python3.13` overrides.
ifndef PYTHON
PYTHON := $(shell tools/find-python $(PYTHON_VERSION) 2>/dev/null)
endif
VENV := .venv
BIN := $(VENV)/bin
# Named after the version, so that a .venv of another Python (or of the hand-kept pins
# this replaced) is rebuilt rather than reused.
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
# $(call VERSION_OF,python): the X.Y of that interpreter, in a recipe.
VERSION_OF = $$($(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)

API_PORT ?= 8000
AWS_PORT ?= 5005
CONSOLE_PORT ?= 8080
# How often `make run` runs the scheduled pass, in seconds (0: never).
SCHEDULE_SECONDS ?= 60
# Whose token `make token` prints: WHO=eric, or USER=eric on the command line. USER from
# the environment is the shell's login name, not a demo user: it does not count.
WHO ?= $(if $(filter command line,$(origin USER)),$(USER),alice)
# Where `make run` keeps its state (stack.json, the outbox) and the other targets read it.
STATE_DIR ?= .local

# `make` alone lists the targets.
.DEFAULT_GOAL := help

.PHONY: test run token outbox fuzz security lint openapi clean bench lock console console-test chromium

include infra/deploy.mk

# Every package of requirements-dev.lock, at its version, its hashes checked.
$(STAMP): requirements-dev.lock
	@$(if $(PYTHON),,$(error $(shell tools/find-python $(PYTHON_VERSION) 2>&1 >/dev/null)))
	@test "$(call VERSION_OF,$(PYTHON))" = $(PYTHON_VERSION) || \
		{ echo "$(PYTHON) is not Python $(PYTHON_VERSION)" >&2; exit 1; }
	@test "$(call VERSION_OF,$(BIN)/python)" = $(PYTHON_VERSION) || \
		{ echo "creating $(VENV) with $(PYTHON)"; rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

# The web console (web/README.md), built by npm from web/package-lock.json. npm ci runs
# when node_modules is missing or the lockfile changed (--engine-strict: a Node.js older
# than package.json's "engines" stops it with that message); the build when a source is
# newer than dist. web/public/config.json is not a source: make run serves its own.
NPM ?= npm
NODE_STAMP := web/node_modules/.installed
CONSOLE := web/dist/index.html
CONSOLE_SOURCES := web/index.html web/package.json web/vite.config.ts web/tsconfig.json web/env.d.ts \
	$(filter-out web/public/config.json,$(shell find web/src web/public -type f 2>/dev/null))

$(NODE_STAMP): web/package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "The web console needs Node.js (20.19 or later) and npm: \
	https://nodejs.org/en/download, or NodeSource's Debian packages." >&2; exit 1; }
	cd web && $(NPM) ci --engine-strict --no-audit --no-fund
	@touch $@

$(CONSOLE): $(NODE_STAMP) $(CONSOLE_SOURCES)
	cd web && $(NPM) run build

console: $(CONSOLE) ## the web console built into web/dist (npm ci when needed, then npm run build)

console-test: $(CONSOLE) ## the console's Vitest tests, and its first visit under 100 KB gzipped
	cd web && $(NPM) test
	cd web && $(NPM) run size

# Debian's Chromium, which tests/browser/ drives through Playwright's library: a browser
# downloaded by a test tool cannot work here. Installed with apt-get when missing, as
# root (CI); anyone else is told the command.
CHROMIUM ?= /usr/bin/chromium
chromium: ## Debian's Chromium for the browser tests (apt-get install chromium when missing)
	@test -x $(CHROMIUM) || \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "The browser tests (tests/browser/) need Debian's Chromium at $(CHROMIUM): \
	run sudo apt-get install chromium (make test installs it itself when run as root), \
	or name another with make test CHROMIUM=/path/to/chromium." >&2; \
		exit 1; \
	fi

# The lock files, compiled by uv from the requirements (infra/locks.py): after editing a
# requirements*.txt file. tests/infra fails while a lock is out of date.
lock: $(STAMP) ## compile the lock files again from requirements*.txt (uv)
	$(BIN)/python -m infra.locks

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static security scan (medium severity and above fails; each exception carries a
# "nosec" with its reason) and a known-vulnerability audit of what the functions ship.
security: $(STAMP) ## bandit, and pip-audit of what the functions ship
	$(BIN)/bandit -q -r app.py chalicelib devstack infra ops tools -ll
	$(BIN)/pip-audit -r requirements-lambda.lock --require-hashes --disable-pip --progress-spinner off

test: $(STAMP) lint security console-test chromium ## every check: lint, security, the console's tests, then pytest (browser tests included)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

run: $(STAMP) $(CONSOLE) ## the whole service and its console locally, on the AWS emulator (API_PORT=8000 AWS_PORT=5005 CONSOLE_PORT=8080 SCHEDULE_SECONDS=60)
	$(BIN)/python -m devstack --state-dir $(STATE_DIR) run --api-port $(API_PORT) --aws-port $(AWS_PORT) \
		--console-port $(CONSOLE_PORT) --schedule-seconds $(SCHEDULE_SECONDS)

token: $(STAMP) ## a fresh ID token of a demo user of the running stack (WHO=alice, or USER=alice)
	@$(BIN)/python -m devstack --state-dir $(STATE_DIR) token $(WHO)

outbox: $(STAMP) ## the emails the local stack sent (.eml files, each with an .html copy)
	@$(BIN)/python -m devstack --state-dir $(STATE_DIR) outbox

# The operators' command line against the running `make run`, every setting from
# .local/stack.json: make ops ARGS="show <org id>" (docs/operations.md).
.PHONY: ops
ARGS ?= --help
ops: $(STAMP) ## the operators' command line on the running stack (ARGS="show ORG_ID")
	@$(BIN)/python -m ops --local $(ARGS)

# Against a running `make run`: schemathesis from /openapi.json, EXAMPLES per operation
# and stateful suite; TIMEOUT, seconds per answer, overrides devstack/schemathesis.toml's.
EXAMPLES ?= 1000
TIMEOUT ?=
fuzz: $(STAMP) ## schemathesis against a running make run (EXAMPLES=1000, TIMEOUT=seconds)
	$(BIN)/python -m devstack --state-dir $(STATE_DIR) fuzz --max-examples $(EXAMPLES) $(if $(TIMEOUT),--request-timeout $(TIMEOUT))

openapi: $(STAMP) ## write chalicelib/openapi.json from tools/openapi_source.py
	$(BIN)/python tools/openapi_source.py

# Cost per operation, flatness, fan-out, cold starts, latency, dollars: bench/RESULTS.md.
bench: $(STAMP) $(CONSOLE) ## costs, latency, cold starts, dollars, the console's first visit into bench/RESULTS.md (about 5 min)
	$(BIN)/python -m bench

clean: ## remove .venv and the tools' caches
	rm -rf $(VENV) .pytest_cache .ruff_cache

.PHONY: help
# Each target's `## ` comment, in the order of the makefiles: the list cannot go stale.
help: ## this list
	@echo "make TARGET [VARIABLE=value ...], where TARGET is one of:"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
