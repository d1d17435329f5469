"""The contract suite has teeth: against a mock behind a mutating proxy, each fault makes it
fail naming the broken rule (with a curl reproduction), and a faithful proxy passes.

Each variant runs `python -m contract_tests` as a real process against its own proxy (and
its own API key, so workspaces stay apart); they run four at a time on one live mock.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract_tests import contract
from mockserver import Settings
from tests.conftest import asgi_server, free_port, serving
from tests.proxy import FAULTS, Proxy

# fault -> the suite's tests that meet it (-k); the whole suite runs on the faithful proxy
MEETS = {
    "status-backwards": "test_a_polled_run",
    "missing-field": "test_a_polled_run",
    "progress-not-100": "test_a_polled_run",
    "finished-early": "test_a_polled_run",
    "auth-open": "test_a_missing_key",
    "shared-workspace": "test_a_run_is_invisible",
    "bad-422": "test_operation_conforms",
    "stop-terminal-ok": "test_stopping_a_terminal",
    "sse-no-terminal": "test_poll_sse",
    "resume-inclusive": "test_poll_sse",
    "page-repeat": "test_pages",
    "webhook-twice": "test_poll_sse",
    "webhook-new-id-on-retry": "test_poll_sse",
    "webhook-outputs-differ": "test_poll_sse",
}
FAITHFUL = "faithful"
# The module fixture runs the suite 15 times (4 at a time): minutes on a loaded 2-core machine.
pytestmark = pytest.mark.timeout(900)
CONFORMS = "test_operation_conforms"


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    junit: str


def run_suite(url: str, name: str, selection: str | None, report: Path) -> Outcome:
    command = [sys.executable, "-m", "contract_tests", "--base-url", url, "--api-key"]
    command += [f"teeth-{name}", "--other-api-key", f"teeth-{name}-b"]
    # the mock refuses `invalid...` keys (its x-mock part); the contract names none
    command += ["--wrong-api-key", f"invalid-teeth-{name}", "--mock-prefer", "yes"]
    command += ["--junitxml", str(report), "-q"]
    if selection:
        command += ["-k", selection]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    junit = report.read_text() if report.exists() else ""
    return Outcome(done.returncode, done.stdout + done.stderr, junit)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    assert set(MEETS) == set(FAULTS)
    reports = tmp_path_factory.mktemp("reports")
    with serving(Settings(speed=20.0)) as mock, ExitStack() as stack:
        urls: dict[str, str] = {}
        proxies = []
        for name in [FAITHFUL, *FAULTS]:
            proxy = Proxy(mock.url, None if name == FAITHFUL else name)
            proxy.public = stack.enter_context(asgi_server(proxy, free_port()))
            urls[name] = proxy.public
            proxies.append(proxy)
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {
                name: pool.submit(run_suite, url, name, MEETS.get(name), reports / f"{name}.xml")
                for name, url in urls.items()
            }
            found = {name: future.result() for name, future in futures.items()}
        for proxy in proxies:
            asyncio.run(proxy.aclose())
        yield found


def test_the_suite_passes_through_a_faithful_proxy(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[FAITHFUL]
    assert outcome.code == 0, outcome.output[-4000:]
    assert 'failures="0"' in outcome.junit and 'errors="0"' in outcome.junit


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_fails_the_suite_naming_its_rule(
    outcomes: dict[str, Outcome], fault: str
) -> None:
    outcome, rule = outcomes[fault], FAULTS[fault]
    assert outcome.code == 1, f"{fault}: exit {outcome.code}\n{outcome.output[-3000:]}"
    assert f"[{rule}]" in outcome.output, f"{fault}: {rule} not named\n{outcome.output[-3000:]}"
    failures = [
        (f.get("message", "") or "") + (f.text or "")
        for f in ET.fromstring(outcome.junit).iter("failure")
    ]
    assert any(f"[{rule}]" in text and "curl" in text for text in failures), failures[:3]


def test_each_conformance_case_names_its_operation(outcomes: dict[str, Outcome]) -> None:
    """A JUnit failure says which operation broke, not ten times `test_operation_conforms`."""
    operations = {f"{method} {path}" for method, path, _ in contract.operations()}
    cases = ET.fromstring(outcomes[FAITHFUL].junit).iter("testcase")
    named = [c.get("name", "") for c in cases if c.get("name", "").startswith(CONFORMS)]
    assert sorted(named) == sorted(f"{CONFORMS}[{operation}]" for operation in operations)
    failed = [
        case.get("name", "")
        for case in ET.fromstring(outcomes["bad-422"].junit).iter("testcase")
        if case.find("failure") is not None and case.get("name", "").startswith(CONFORMS)
    ]
    assert failed and all(name.removeprefix(CONFORMS)[1:-1] in operations for name in failed)


def test_a_schemathesis_failure_reads_as_a_suite_rule_with_the_key_from_the_environment(
    outcomes: dict[str, Outcome],
) -> None:
    """Not schemathesis' `X-API-Key: [Filtered]`: the curl line pastes with $CONTRACT_API_KEY."""
    texts = [
        (f.text or "")
        for f in ET.fromstring(outcomes["bad-422"].junit).iter("failure")
        # led by the rule (its header line), not only naming it among other failures
        if "[conformance.validation-error] a 422 body is" in (f.text or "")
    ]
    assert texts, outcomes["bad-422"].output[-2000:]
    for text in texts:
        assert "spec: openapi.yaml#/components/responses/ValidationError" in text, text[:600]
        assert "$CONTRACT_API_KEY" in text and "[Filtered]" not in text, text[-1500:]
        assert "teeth-bad-422" not in text, text[-1500:]
