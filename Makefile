# The two commands a newcomer needs: `make run` and `make test`. Both create the
# virtual environment and install the pinned dependencies themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run lint openapi clean

include infra/deploy.mk

$(STAMP): $(wildcard requirements*.txt) constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/python -m pytest

run: $(STAMP)
	@echo "make run arrives with the local stack (issue 3); see README.md."

openapi: $(STAMP)
	$(BIN)/python tools/openapi_source.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
