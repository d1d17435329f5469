# One command each: `make serve` starts the mock, `make test` runs every check.
# `make bench` (minutes; not part of `make test` or CI) measures it against Prism.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The spec's node tools (Spectral, openapi-typescript, tsc), pinned in clients/package-lock.json.
NODE_STAMP := clients/node_modules/.installed

.PHONY: serve test contract contract-thorough check lint typecheck spectral format clean bench bench-quick bench-deps

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(NODE_STAMP): clients/package.json clients/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (node 20) is needed for the spec tools"; exit 1; }
	npm ci --prefix clients --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

serve: $(STAMP)
	$(BIN)/mockserver serve $(ARGS)

# pytest's generated-clients test needs the node tools too (check installs them).
test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/contract-tests -q $(CONTRACT_ARGS)

# The contract suite alone (against the mock it starts, or CONTRACT_BASE_URL / CONTRACT_ARGS).
contract: $(STAMP)
	$(BIN)/contract-tests $(CONTRACT_ARGS)

contract-thorough: $(STAMP)
	$(BIN)/contract-tests --profile thorough $(CONTRACT_ARGS)

check: lint typecheck spectral

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# openapi.yaml against Spectral's OpenAPI ruleset (.spectral.yaml): a warning fails too.
spectral: $(NODE_STAMP)
	clients/node_modules/.bin/spectral lint --fail-severity warn openapi.yaml

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis clients/node_modules

# Longer QA runs, outside `make test`.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python -m fuzz.campaign $(FUZZ_ARGS)

.PHONY: soak
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# The benchmark's tools: wrk from Debian's packages, Prism pinned in bench/package-lock.json.
# Byte-compiled as an installed package is, so cold starts do not measure compiling our
# sources (where PYTHONDONTWRITEBYTECODE is set, no start would write the cache).
bench-deps:
	@command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
	@test -x bench/node_modules/.bin/prism || npm ci --prefix bench --no-audit --no-fund
	$(BIN)/python -m compileall -q mockserver contract_tests

bench: $(STAMP) bench-deps
	timeout 3600 $(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP) bench-deps
	timeout 1800 $(BIN)/python -m bench --quick $(BENCH_ARGS)
