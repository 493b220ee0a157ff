# The two commands a newcomer needs: `make run` and `make test`. Both create the
# virtual environment and install the pinned dependencies themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

API_PORT ?= 8000
AWS_PORT ?= 5005
USER ?= alice

.PHONY: test run token outbox fuzz security lint openapi clean bench

include infra/deploy.mk

$(STAMP): $(wildcard requirements*.txt) constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static security scan (medium severity and above fails; each exception carries a
# "nosec" with its reason) and a known-vulnerability audit of the runtime pins.
security: $(STAMP)
	$(BIN)/bandit -q -r app.py chalicelib devstack infra ops tools -ll
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off

test: $(STAMP) lint security
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/python -m devstack run --api-port $(API_PORT) --aws-port $(AWS_PORT)

token: $(STAMP)
	@$(BIN)/python -m devstack token $(USER)

outbox: $(STAMP)
	@$(BIN)/python -m devstack outbox

# Against a running `make run`: schemathesis from /openapi.json, EXAMPLES per operation.
EXAMPLES ?= 1000
fuzz: $(STAMP)
	$(BIN)/python -m devstack fuzz --max-examples $(EXAMPLES)

openapi: $(STAMP)
	$(BIN)/python tools/openapi_source.py

# Cost per operation, flatness, fan-out, cold starts, latency, dollars: bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
