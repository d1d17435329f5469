# One command each: `make serve` starts the mock, `make test` runs every check.
# `make bench` (minutes; not part of `make test` or CI) measures it against Prism.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make serve` needs only the package (no test or lint tools): its own stamp.
SERVE_STAMP := $(VENV)/.installed-serve
# The spec's node tools (Spectral, openapi-typescript, tsc), pinned in clients/package-lock.json.
NODE_STAMP := clients/node_modules/.installed

.PHONY: serve team test docs contract contract-thorough check lint typecheck spectral format clean bench bench-quick bench-deps

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	@touch $(SERVE_STAMP)

$(NODE_STAMP): clients/package.json clients/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (node 20) is needed for the spec tools"; exit 1; }
	npm ci --prefix clients --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/mockserver serve $(ARGS)

# A team mock: REPLICAS mock processes on ports PORT.. over one Redis (REDIS, or a
# redis-server started here and stopped with them). See "Team mock" in the README.
REPLICAS ?= 3
PORT ?= 4010
team: $(SERVE_STAMP) redis-server
	$(BIN)/python -m mockserver team --replicas $(REPLICAS) --port $(PORT) $(if $(REDIS),--redis $(REDIS)) $(ARGS)

# Debian packages a component test needs, installed where missing (sudo when not root).
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)
# Only the packages named, never their recommends; each target says first what and why.
APT_INSTALL = $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

# The team-mock tests (storage parity, three replicas) start their own redis-server.
.PHONY: redis-server
redis-server:
	@command -v redis-server >/dev/null || { \
		echo "Installing the Debian package redis-server (the team-mock tests start their own Redis)"; \
		$(APT_INSTALL) redis-server; }

# pytest's generated-clients test needs the node tools too (check installs them); the
# contract suite's Prism test (tests/test_contract_prism.py) needs bench/'s pinned Prism.
test: check docs redis-server browser-deps prism
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/contract-tests -q $(CONTRACT_ARGS)

# The contract suite alone (against the mock it starts, or CONTRACT_BASE_URL / CONTRACT_ARGS).
contract: $(STAMP)
	$(BIN)/contract-tests $(CONTRACT_ARGS)

# The suite REPEAT times in a row against tests/other_backend.py, unseeded and restarted
# each time: a conforming backend with random timings and ids never fails it.
REPEAT ?= 10
.PHONY: contract-repeat
contract-repeat: $(STAMP)
	timeout 3600 $(BIN)/python -m tests.suite_repeats --times $(REPEAT)

contract-thorough: $(STAMP)
	$(BIN)/contract-tests --profile thorough $(CONTRACT_ARGS)

check: lint typecheck spectral

# The installable package: dist/noxus_runs_mock-*.whl (pip install 'FILE[contract]').
.PHONY: wheel
# (build/ and the egg-info are removed first: setuptools would reuse their file lists.)
wheel: $(SERVE_STAMP)
	rm -rf build noxus_runs_mock.egg-info
	$(BIN)/python -m pip wheel --no-deps --quiet -w dist .
	rm -rf build

# The docs site (docs/, mkdocs.yml) into site/; --strict: a broken link or nav entry fails.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

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
	rm -rf $(VENV) .venv-wheel site dist build .mypy_cache .pytest_cache .ruff_cache .hypothesis clients/node_modules

# Longer QA runs, outside `make test`.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python -m fuzz.campaign $(FUZZ_ARGS)

# Stock schemathesis (every check, both modes) on all 197 operations of Twilio's 1.9 MB
# document served with --spec (`make test` runs 43 of them, fewer examples).
.PHONY: fuzz-own-spec
fuzz-own-spec: $(STAMP)
	TWILIO_ALL=1 timeout 2400 $(BIN)/python -m pytest tests/test_own_spec.py -q -k "schemathesis and twilio"

.PHONY: soak
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# The benchmark's tools: wrk from Debian's packages, Prism pinned in bench/package-lock.json.
# Byte-compiled as an installed package is, so cold starts do not measure compiling our
# sources (where PYTHONDONTWRITEBYTECODE is set, no start would write the cache).
.PHONY: prism
prism:
	@test -x bench/node_modules/.bin/prism || npm ci --prefix bench --no-audit --no-fund

bench-deps: prism
	@command -v wrk >/dev/null || { \
		echo "Installing the Debian package wrk (the benchmark's load generator)"; \
		$(APT_INSTALL) wrk; }
	$(BIN)/python -m compileall -q mockserver contract_tests

bench: $(STAMP) bench-deps redis-server
	timeout 3600 $(BIN)/python -m bench $(BENCH_ARGS)
	timeout 600 $(BIN)/python -m bench.proxy_latency --json bench/proxy_latency.json

# What `mockserver proxy` adds per call (p50/p99 against direct calls); also run by `make bench`.
.PHONY: bench-proxy
bench-proxy: $(STAMP)
	timeout 600 $(BIN)/python -m bench.proxy_latency --json bench/proxy_latency.json

# A public 1.9 MB document served with --spec (Twilio's), against Prism on it in the same
# run: cold start (parse cache empty and warm), rps of a generic GET and a stateful POST.
.PHONY: bench-own-spec
bench-own-spec: $(STAMP) bench-deps
	timeout 900 $(BIN)/python -m bench.own_spec --json bench/own_spec.json

# A team mock's create/poll rps: in memory vs 1 vs 3 replicas over one Redis (same run).
.PHONY: bench-team
bench-team: $(STAMP) bench-deps redis-server
	timeout 1800 $(BIN)/python -m bench.team $(BENCH_TEAM_ARGS)

bench-quick: $(STAMP) bench-deps redis-server
	timeout 1800 $(BIN)/python -m bench --quick $(BENCH_ARGS)

# The dashboard's browser tests drive Debian's chromium through chromium-driver (selenium
# comes with the dev extras).
.PHONY: browser-deps
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		echo "Installing the Debian packages chromium and chromium-driver, without recommends" \
			"(the dashboard's browser tests drive them)"; \
		$(APT_INSTALL) chromium chromium-driver; }
