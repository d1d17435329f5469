"""The contract suite judges only what the spec says: against a second implementation
(tests/other_backend.py, written from openapi.yaml alone, differing from the mock wherever
the spec allows) the whole suite passes, and its failures say what they should.

Each suite run is a real `python -m contract_tests` process, in an empty working
directory, against its own backend process (stopped by PID); they run side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockserver.process import free_port
from tests.other_backend import WORKFLOW_ID

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["other-key-a", "other-key-b"]
# Three suite runs at once on a shared 2-core machine: the whole suite takes the longest.
pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    junit: str
    left_in_cwd: list[str]


@contextmanager
def backend(*flags: str) -> Iterator[str]:
    """tests/other_backend.py as a process on a free 127.0.0.1 port; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "tests.other_backend", "--port", str(port)]
    for key in KEYS:
        command += ["--api-key", key]
    # stdout says when it listens; its log goes to a file (a pipe nobody reads could fill)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [*command, *flags],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        try:
            ready = process.stdout.readline() if process.stdout else ""
            log.seek(0)
            assert ready.startswith("ready "), f"no start: {ready!r} {log.read()[-2000:]!r}"
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
            if process.stdout:
                process.stdout.close()


def run_suite(url: str, cwd: Path, *extra: str, workflow: str = WORKFLOW_ID) -> Outcome:
    cwd.mkdir()
    report = cwd.parent / f"{cwd.name}.xml"
    command = [sys.executable, "-m", "contract_tests", "--base-url", url]
    command += ["--api-key", KEYS[0], "--other-api-key", KEYS[1], "--workflow-id", workflow]
    command += ["--run-input", '{"Question": "What does the spec promise?"}']
    command += ["--wrong-api-key", "refused-key"]  # it knows only the keys it is given
    command += ["--junitxml", str(report), "-q", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=540
    )  # fmt: skip
    junit = report.read_text() if report.exists() else ""
    return Outcome(done.returncode, done.stdout + done.stderr, junit, sorted(os.listdir(cwd)))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    base = tmp_path_factory.mktemp("other-backend")
    unknown = str(uuid.uuid4())
    with ExitStack() as stack:
        # unseeded: timings and ids differ on every start, as a real backend's do
        fast = stack.enter_context(backend("--pace", "fast"))
        failing = stack.enter_context(backend("--pace", "brief", "--fail-rate", "1"))
        plans = {
            "whole": (fast, ()),
            "unknown-workflow": (fast, ("-k", "test_linked_operations_conform")),
            "fails-alone": (failing, ("-k", "missing_key or invisible")),
        }
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {
                name: pool.submit(
                    run_suite,
                    url,
                    base / name,
                    *extra,
                    workflow=unknown if name == "unknown-workflow" else WORKFLOW_ID,
                )
                for name, (url, extra) in plans.items()
            }
            yield {name: future.result() for name, future in futures.items()}


def failures(outcome: Outcome) -> list[str]:
    return [
        (f.get("message", "") or "") + (f.text or "")
        for f in ET.fromstring(outcome.junit).iter("failure")
    ]


def test_the_whole_suite_passes_against_an_independent_backend(
    outcomes: dict[str, Outcome],
) -> None:
    """404 for unknown workflows, Prefer ignored, uuid4 ids, random timings, runs that fail
    on their own, CRLF SSE with `retry:` blocks and comments, late and repeated webhooks."""
    outcome = outcomes["whole"]
    assert outcome.code == 0, outcome.output[-5000:]
    assert 'failures="0"' in outcome.junit and 'errors="0"' in outcome.junit
    assert 'skipped="0"' in outcome.junit, outcome.output[-2000:]


def test_nothing_is_left_in_the_working_directory(outcomes: dict[str, Outcome]) -> None:
    for name, outcome in outcomes.items():
        assert outcome.left_in_cwd == [], (name, outcome.left_in_cwd)


def test_a_stateful_failure_shows_statuses_and_a_curl_and_counts_no_runs(
    outcomes: dict[str, Outcome],
) -> None:
    """A workflow the backend does not know: every create is a 404, which the spec allows;
    the failure says so (statuses by operation, the exchange, a curl with $CONTRACT_API_KEY)."""
    outcome = outcomes["unknown-workflow"]
    assert outcome.code == 1, outcome.output[-3000:]
    [text] = failures(outcome)
    assert "[stateful.links]" in text.splitlines()[0], text[:500]
    assert "createRun 404:" in text and "spec: openapi.yaml#/paths/" in text, text[:2000]
    curl = next(line for line in text.splitlines() if "curl -sS" in line)
    assert '"x-api-key: $CONTRACT_API_KEY"' in curl.replace("X-API-Key", "x-api-key"), curl
    assert KEYS[0] not in text
    assert "contract suite: 0 runs created" in outcome.output, outcome.output[-1500:]


def test_a_run_failing_on_its_own_is_no_interference(outcomes: dict[str, Outcome]) -> None:
    """Every run of this backend fails within 50 ms: isolation is judged by interference
    (key B's refused stop), not by how key A's run ended."""
    outcome = outcomes["fails-alone"]
    assert outcome.code == 0, outcome.output[-3000:]
    assert 'name="test_a_run_is_invisible_to_another_workspace"' in outcome.junit
    assert failures(outcome) == [] and 'skipped="0"' in outcome.junit
