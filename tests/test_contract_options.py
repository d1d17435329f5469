"""The contract suite's options: parsed as documented, refused clearly, all in the docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from apicontract.document import bundled_path
from contract_tests import contract
from contract_tests.contract import reachable
from contract_tests.options import QA_WORKFLOW, SPECS, OptionError, Options

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "contract-suite.md").read_text()
EMPTY: dict[str, str | None] = {s.dest.removeprefix("contract_"): None for s in SPECS}


def test_every_option_and_its_variable_are_in_the_docs() -> None:
    for spec in SPECS:
        assert f"`{spec.flag}" in PAGE and f"`{spec.env}`" in PAGE, spec.flag


def test_without_a_base_url_the_mock_defaults_apply() -> None:
    options = Options.parse(EMPTY)
    assert options.base_url is None
    assert options.workflow_id == QA_WORKFLOW
    assert options.other_api_key == f"{options.api_key}-other"
    assert options.wrong_api_key is not None and options.wrong_api_key.startswith("invalid")
    assert options.secrets == {}  # made-up keys are printed as they are
    assert (options.profile, options.max_runs) == ("quick", options.effort.max_runs)


def test_a_base_url_needs_a_key_and_gets_a_derived_second_key() -> None:
    with pytest.raises(OptionError, match="--api-key"):
        Options.parse({**EMPTY, "base_url": "http://127.0.0.1:1"})
    options = Options.parse({**EMPTY, "base_url": "http://127.0.0.1:1/", "api_key": "k"})
    assert (options.base_url, options.other_api_key) == ("http://127.0.0.1:1", "k-other")
    # the derived key is printed (nobody set $CONTRACT_OTHER_API_KEY), the given one is not
    assert options.secrets == {"k": "$CONTRACT_API_KEY"}


def test_refused_keys_are_judged_only_with_a_key_the_user_names() -> None:
    """Which keys are refused is the mock's x-mock promise, not the public contract's."""
    given = {**EMPTY, "base_url": "http://127.0.0.1:1", "api_key": "k"}
    assert Options.parse(given).wrong_api_key is None
    named = Options.parse({**given, "wrong_api_key": "revoked"})
    assert named.wrong_api_key == "revoked"
    assert named.secrets == {"k": "$CONTRACT_API_KEY", "revoked": "$CONTRACT_WRONG_API_KEY"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("profile", "slow"), ("max_runs", "0"), ("run_input", "[1]"), ("run_timeout", "soon")],
)
def test_bad_values_are_refused_with_a_message(name: str, value: str) -> None:
    with pytest.raises(OptionError):
        Options.parse({**EMPTY, name: value})


def test_sparse_polls_may_skip_states_but_never_go_back() -> None:
    assert "completed" in reachable("queued")
    assert "queued" not in reachable("running")
    assert reachable("completed") == frozenset()


def test_prefer_is_sent_only_to_the_mock_unless_asked() -> None:
    """`Prefer` is x-mock: the public contract neither has it nor judges it."""
    assert Options.parse(EMPTY).mock_prefer is True
    given = {**EMPTY, "base_url": "http://127.0.0.1:1", "api_key": "k"}
    assert Options.parse(given).mock_prefer is False
    assert Options.parse({**given, "mock_prefer": "yes"}).mock_prefer is True
    with pytest.raises(OptionError, match="--mock-prefer"):
        Options.parse({**given, "mock_prefer": "maybe"})


def test_the_suite_judges_the_document_its_spec_option_names(tmp_path: Path) -> None:
    """--spec FILE (CONTRACT_SPEC): the rules read that document, JSON as well as YAML."""
    document = yaml.safe_load(bundled_path().read_text())
    document["components"]["schemas"]["RunStatus"]["x-transitions"]["stopped"] = ["running"]
    other = tmp_path / "openapi.json"
    other.write_text(json.dumps(document))
    options = Options.parse({**EMPTY, "spec": str(other)})
    assert options.spec == other.resolve()
    try:
        contract.use(options.spec)
        assert contract.document_path() == other.resolve()
        assert "stopped" not in contract.terminal()
        assert "running" in reachable("stopped")
    finally:
        contract.use(None)
    assert "stopped" in contract.terminal() and contract.document_path() == bundled_path()
    with pytest.raises(OptionError, match="no such file"):
        Options.parse({**EMPTY, "spec": str(tmp_path / "missing.yaml")})
