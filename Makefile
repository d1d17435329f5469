# One command each: `make serve` starts the mock, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test contract contract-thorough check lint typecheck format clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mockserver serve $(ARGS)

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/contract-tests -q $(CONTRACT_ARGS)

# The contract suite alone (against the mock it starts, or CONTRACT_BASE_URL / CONTRACT_ARGS).
contract: $(STAMP)
	$(BIN)/contract-tests $(CONTRACT_ARGS)

contract-thorough: $(STAMP)
	$(BIN)/contract-tests --profile thorough $(CONTRACT_ARGS)

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
