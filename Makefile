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
USER ?= alice

.PHONY: test run token outbox fuzz security lint openapi clean bench lock

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

# The lock files, compiled by uv from the requirements (infra/locks.py): after editing a
# requirements*.txt file. tests/infra fails while a lock is out of date.
lock: $(STAMP)
	$(BIN)/python -m infra.locks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static security scan (medium severity and above fails; each exception carries a
# "nosec" with its reason) and a known-vulnerability audit of what the functions ship.
security: $(STAMP)
	$(BIN)/bandit -q -r app.py chalicelib devstack infra ops tools -ll
	$(BIN)/pip-audit -r requirements-lambda.lock --require-hashes --disable-pip --progress-spinner off

test: $(STAMP) lint security
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/python -m devstack run --api-port $(API_PORT) --aws-port $(AWS_PORT)

token: $(STAMP)
	@$(BIN)/python -m devstack token $(USER)

outbox: $(STAMP)
	@$(BIN)/python -m devstack outbox

# Against a running `make run`: schemathesis from /openapi.json, EXAMPLES per operation
# and stateful suite; TIMEOUT, seconds per answer, overrides devstack/schemathesis.toml's.
EXAMPLES ?= 1000
TIMEOUT ?=
fuzz: $(STAMP)
	$(BIN)/python -m devstack fuzz --max-examples $(EXAMPLES) $(if $(TIMEOUT),--request-timeout $(TIMEOUT))

openapi: $(STAMP)
	$(BIN)/python tools/openapi_source.py

# Cost per operation, flatness, fan-out, cold starts, latency, dollars: bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
