"""The suite's options: one table, read by pytest (`--base-url`) and by environment (`CONTRACT_*`).

A command-line flag wins over its environment variable, which wins over the default.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contract_tests.profile import PROFILES, Profile

QA_WORKFLOW = "239baa8b-4361-5782-9277-a817111bd274"  # the mock's "Question answering"
QA_INPUT = '{"User Question": "What is a contract test?"}'


@dataclass(frozen=True, slots=True)
class OptionSpec:
    flag: str
    env: str
    help: str
    default: str | None = None

    @property
    def dest(self) -> str:
        return "contract_" + self.flag.lstrip("-").replace("-", "_")


SPECS = (
    OptionSpec(
        "--base-url", "CONTRACT_BASE_URL", "implementation to check (default: start the mock)"
    ),
    OptionSpec(
        "--api-key", "CONTRACT_API_KEY", "X-API-Key of a workspace (required with --base-url)"
    ),
    OptionSpec(
        "--other-api-key",
        "CONTRACT_OTHER_API_KEY",
        "a second workspace's key for the isolation rule (default on the mock: derived)",
    ),
    OptionSpec(
        "--wrong-api-key",
        "CONTRACT_WRONG_API_KEY",
        "a key the implementation must refuse (without it refused keys are not checked; "
        "on the mock the suite starts: a random 'invalid-...' key)",
    ),
    OptionSpec("--workflow-id", "CONTRACT_WORKFLOW_ID", "workflow the runs use", QA_WORKFLOW),
    OptionSpec("--run-input", "CONTRACT_RUN_INPUT", "JSON `input` of the runs created", QA_INPUT),
    OptionSpec("--max-runs", "CONTRACT_MAX_RUNS", "bound on runs created (default: profile's)"),
    OptionSpec(
        "--callback-host",
        "CONTRACT_CALLBACK_HOST",
        "host the implementation reaches the webhook receiver at (default 127.0.0.1; "
        "setting it makes the receiver listen on all interfaces)",
    ),
    OptionSpec("--callback-port", "CONTRACT_CALLBACK_PORT", "receiver port (default: free)", "0"),
    OptionSpec(
        "--run-timeout",
        "CONTRACT_RUN_TIMEOUT",
        "seconds a run, a stream or a webhook may take (bounded waits)",
        "60",
    ),
    OptionSpec("--profile", "CONTRACT_PROFILE", "quick | thorough", "quick"),
    OptionSpec(
        "--mock-prefer",
        "CONTRACT_MOCK_PREFER",
        "yes | no: send the mock's own (x-mock) Prefer header choosing a run's outcome "
        "(default: yes only on the mock the suite starts)",
    ),
    OptionSpec(
        "--spec",
        "CONTRACT_SPEC",
        "the OpenAPI document (YAML or JSON) to check against (default: the bundled openapi.yaml; "
        "the mock the suite starts serves it too)",
    ),
)


class OptionError(ValueError):
    """An option has a value the suite cannot use."""


@dataclass(frozen=True, slots=True)
class Options:
    base_url: str | None
    api_key: str
    other_api_key: str | None
    wrong_api_key: str | None
    workflow_id: str
    run_input: dict[str, Any]
    max_runs: int
    callback_host: str | None
    callback_port: int
    run_timeout: float
    profile: str
    # each key the user gave -> the variable a printed curl reads it from (keys the suite
    # made up are printed as they are: nobody set a variable holding them)
    secrets: dict[str, str] = field(default_factory=dict)
    # the public contract neither has nor judges Prefer (x-mock): sent to the mock only
    mock_prefer: bool = False
    spec: Path | None = None  # None: the bundled openapi.yaml

    @property
    def effort(self) -> Profile:
        return PROFILES[self.profile]

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> Options:
        raw = {s.dest.removeprefix("contract_"): _value(config, s) for s in SPECS}
        return cls.parse(raw)

    @classmethod
    def parse(cls, raw: dict[str, str | None]) -> Options:
        profile = raw["profile"] or "quick"
        if profile not in PROFILES:
            raise OptionError(f"--profile must be one of {sorted(PROFILES)}, got {profile!r}")
        base_url = (raw["base_url"] or "").rstrip("/") or None
        if base_url is not None and not raw["api_key"]:
            raise OptionError("--api-key (or CONTRACT_API_KEY) is required with --base-url")
        try:
            run_input = json.loads(raw["run_input"] or QA_INPUT)
            max_runs = int(raw["max_runs"] or PROFILES[profile].max_runs)
            callback_port = int(raw["callback_port"] or 0)
            run_timeout = float(raw["run_timeout"] or 60)
        except ValueError as exc:
            raise OptionError(f"bad option value: {exc}") from exc
        if not isinstance(run_input, dict):
            raise OptionError("--run-input must be a JSON object")
        if (raw.get("mock_prefer") or "yes") not in {"yes", "no"}:
            raise OptionError(f"--mock-prefer must be yes or no, got {raw['mock_prefer']!r}")
        if max_runs < 1 or run_timeout <= 0:
            raise OptionError("--max-runs and --run-timeout must be positive")
        given = raw.get("spec")
        spec = Path(given).resolve() if given else None
        if spec is not None and not spec.is_file():
            raise OptionError(f"--spec {given}: no such file")
        api_key = raw["api_key"] or "contract-suite-key"
        # A derived second key works on the mock (any key is a workspace); a backend that
        # refuses it makes the isolation test skip, saying so.
        other = raw["other_api_key"] or f"{api_key}-other"
        # Which keys are refused is the mock's own (x-mock) promise, not the contract's.
        wrong = raw["wrong_api_key"] or (
            None if base_url else f"invalid-contract-{uuid.uuid4().hex[:12]}"
        )
        secrets: dict[str, str] = {}
        for option in SPECS:
            key = raw[option.dest.removeprefix("contract_")]
            if option.flag.endswith("api-key") and key:
                secrets[key] = f"${option.env}"
        return cls(
            base_url=base_url,
            api_key=api_key,
            other_api_key=other,
            wrong_api_key=wrong,
            workflow_id=raw["workflow_id"] or QA_WORKFLOW,
            run_input=run_input,
            max_runs=max_runs,
            callback_host=raw["callback_host"] or None,
            callback_port=callback_port,
            run_timeout=run_timeout,
            profile=profile,
            secrets=secrets,
            mock_prefer=(raw.get("mock_prefer") or ("no" if base_url else "yes")) == "yes",
            spec=spec,
        )


def _value(config: pytest.Config, spec: OptionSpec) -> str | None:
    given = config.getoption(spec.dest)
    if given is not None:
        return str(given)
    return os.environ.get(spec.env) or spec.default


def add_to(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "contract suite (also CONTRACT_* environment variables)")
    for spec in SPECS:
        group.addoption(spec.flag, dest=spec.dest, default=None, help=f"{spec.help} [{spec.env}]")


_current: list[Options] = []


def install(options: Options) -> None:
    """Set once in pytest_configure, before test modules are imported: schemathesis needs
    the workflow id and the profile when its tests are generated, at collection time."""
    _current[:] = [options]


def current() -> Options:
    if not _current:
        raise RuntimeError("contract_tests options are set by its conftest's pytest_configure")
    return _current[0]
