"""The suite's teeth against an implementation nobody here wrote: Stoplight Prism (pinned in
bench/package-lock.json) serving openapi.yaml, static (`prism mock`) and dynamic (`-d`).
Each defect class it has is reported under its own rule, and no rule it keeps is reported.

Prism runs as a process on a free 127.0.0.1 port, stopped by its PID (process group). With
CI=true a missing Prism fails; elsewhere the test skips, saying how to install it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from contract_tests import rules
from mockserver.process import free_port, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"
pytestmark = pytest.mark.timeout(600)

# What Prism does that the contract forbids, the same in both modes.
BOTH = {
    "auth.isolation",  # no workspaces: key B sees and stops key A's runs
    "conformance.documented-status",  # 400 on bad JSON (the spec documents 422)
    "conformance.methods",  # 405 without Allow
    "conformance.rejects-invalid",  # `?version_id=` (empty) accepted for a uuid parameter
    "conformance.no-server-error",  # the events stream is a 500
    "sse.well-formed",  # ... so no SSE at all
    "create.echo",  # the run holds the example's workflow_id and input, not the ones sent
    "resources.unknown-run",  # a run id nobody created is a 200
    "list.pagination",  # pages disagree with their own total / size
    "stop.non-terminal",  # a stopped run is then completed (static) or anything (dynamic)
    "webhook.payload",  # a random body without X-Noxus-Delivery-Id
    "webhook.after-terminal",  # POSTed at create time
    "webhook.retry",  # a refused attempt is never retried
    "lifecycle.terminal-final",  # a terminal run changes
}
STATIC = BOTH | {
    "create.distinct-runs",  # every create answers the example's one id
    "stop.terminal-refused",  # stopping a completed run is a 200
}
# Random bodies: these show on some runs only (e.g. a create answered `completed` breaks
# created-queued; one missing required field breaks response-schema).
DYNAMIC_MAY = {
    "spec.response-schema",
    "lifecycle.created-queued",
    "lifecycle.legal-transitions",
    "lifecycle.progress",
    "lifecycle.finished-at",
    "lifecycle.output",
    "stop.terminal-refused",
    "create.distinct-runs",
    "webhook.exactly-once",
    "channels.agree",
    "lifecycle.ends",
}
# A random stop answer may happen to be a legal `stopped` (seen once in a full run).
DYNAMIC_MUST = BOTH - {
    "create.echo",
    "lifecycle.terminal-final",
    "webhook.after-terminal",
    "stop.non-terminal",
}
DYNAMIC_MAY |= BOTH - DYNAMIC_MUST


def _prism() -> Path:
    if not PRISM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PRISM} is missing: run `npm ci --prefix bench`")
        pytest.skip(f"Prism is not installed here (`npm ci --prefix bench` installs {PRISM})")
    return PRISM


@contextmanager
def prism(*flags: str) -> Iterator[str]:
    port = free_port()
    command = [str(_prism()), "mock", str(ROOT / "openapi.yaml"), *flags]
    command += ["-h", "127.0.0.1", "-p", str(port), "-v", "warn"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=log, start_new_session=True, cwd=ROOT
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_ready(process, "Prism", lambda: _answers(url), 60)
            except RuntimeError as exc:
                log.seek(0)
                raise AssertionError(f"{exc}: {log.read()[-2000:]!r}") from exc
            yield url
        finally:
            stop(process)


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/v1/nodes", timeout=1)
    except httpx.TransportError:
        return False
    return True


# what a report a person can act on never shows (hypothesis' and schemathesis' own wording)
SCREENS_PER_RULE = 2
NOISE = re.compile(r"object at 0x|ExceptionGroup|Hypothesis found|Failing test case|:;|=,")


def reported(url: str, report: Path) -> tuple[int, set[str], str]:
    command = [sys.executable, "-m", "contract_tests", "--base-url", url, "--api-key", "k"]
    command += ["--run-timeout", "5", "--junitxml", str(report), "-q"]
    # As on CI (the CI variable set), where pytest prints the longest summary lines.
    ci = {**os.environ, "CI": "true"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=500, cwd=ROOT, env=ci)
    output = done.stdout[-3000:] + done.stderr[-2000:]
    lines = len(done.stdout.splitlines())
    found: set[str] = set()
    for failure in ET.parse(report).getroot().iter("failure"):
        text, message = failure.text or "", failure.get("message", "")
        assert re.match(r"\[[\w.-]+\] \S", message), message[:300]
        assert not NOISE.search(text), NOISE.search(text)
        found |= set(re.findall(r"^\[([\w.-]+)\] ", text, re.M))
    # each failure in full once: the summary at the end is one line per test
    summary = done.stdout.partition("short test summary info")[2].splitlines()[1:]
    one_line = re.compile(r"(FAILED|ERROR) |=+ |\d+ failed")
    assert summary and all(one_line.match(line) for line in summary), summary[:5]
    # a person reads it: about two 50-line screens per rule broken, at most
    assert lines <= SCREENS_PER_RULE * 50 * max(1, len(found)), (lines, len(found))
    return done.returncode, found, output


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, set[str], str]]:
    base = tmp_path_factory.mktemp("prism")
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        urls = {"static": stack.enter_context(prism()), "dynamic": stack.enter_context(prism("-d"))}
        futures = {
            name: pool.submit(reported, url, base / f"{name}.xml") for name, url in urls.items()
        }
        return {name: future.result() for name, future in futures.items()}


def test_every_rule_is_classified() -> None:
    known = {rule.id for rule in rules.ALL}
    assert known >= STATIC and known >= DYNAMIC_MUST | DYNAMIC_MAY


def test_static_prism_breaks_exactly_these_rules(
    outcomes: dict[str, tuple[int, set[str], str]],
) -> None:
    code, found, output = outcomes["static"]
    assert code == 1, output
    assert found == STATIC, (sorted(found - STATIC), sorted(STATIC - found), output)


def test_dynamic_prism_breaks_these_rules_and_no_other(
    outcomes: dict[str, tuple[int, set[str], str]],
) -> None:
    code, found, output = outcomes["dynamic"]
    assert code == 1, output
    assert found >= DYNAMIC_MUST, (sorted(DYNAMIC_MUST - found), output)
    assert found <= DYNAMIC_MUST | DYNAMIC_MAY, (sorted(found - DYNAMIC_MUST - DYNAMIC_MAY), output)
