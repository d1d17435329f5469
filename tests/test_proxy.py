"""`mockserver proxy` in front of a live mock: clean traffic gives no violation (the whole
contract suite, run through it, passes and the proxy reports nothing), and in front of each
of tests/proxy.py's broken variants the proxy reports the rule that variant breaks.

One mock; every proxy on its own port and key. A scripted tour (create with a webhook,
stream, poll to the end, get by id, stop, resume, list two pages, a keyless call, another
key's look, an invalid create) meets every variant; the tours and the suite run at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contract_proxy.proxy import ContractProxy
from contract_tests import rules
from contract_tests.receiver import Receiver, receiving
from mockserver import Settings
from tests.conftest import QA, asgi_server, free_port, serving
from tests.proxy import FAULTS, Proxy

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]
FAITHFUL = "faithful"
SUITE_KEY = "through-the-proxy"


@dataclass
class Seen:
    by_rule: dict[str, int]
    tour_errors: list[str]
    junit: str


def tour(base: str, key: str, receiver: Receiver) -> list[str]:
    """Traffic that meets every variant; what went wrong on the client side, if anything."""
    errors: list[str] = []
    me, other = {"X-API-Key": key}, {"X-API-Key": key + "-b"}
    runs = f"{base}/v1/workflows/{QA.id}/runs"
    callback, token = receiver.new_url(fail_first=1)  # one refusal: the backend retries
    with httpx.Client(timeout=30) as client:
        client.post(runs, headers=me, json={"input": {"User Question": "first"}})
        # 1.5 s at speed 20: polled running several times, even with every server of this
        # module in one process (status-backwards lies on the second running poll)
        created = client.post(
            runs,
            headers={**me, "Prefer": "outcome=completed, duration=30s"},
            json={"input": {"User Question": "tour"}, "callback_url": callback},
        ).json()
        run_id = created["id"]
        events = f"{base}/v1/runs/{run_id}/events"
        streamed: list[str] = []

        def read() -> None:
            with httpx.Client(timeout=30) as reader:
                streamed.append(reader.get(events, headers=me).text)

        reader = threading.Thread(target=read)
        reader.start()
        poll = f"{runs}/{run_id}"
        deadline = time.monotonic() + 20
        body: dict = {}  # type: ignore[type-arg]
        while time.monotonic() < deadline:
            body = client.get(poll, headers=me).json()
            if body.get("status") in {"completed", "failed", "stopped"}:
                break
            time.sleep(0.02)
        for _ in range(2):
            client.get(poll, headers=me)
        reader.join(25)
        client.get(f"{base}/v1/runs/{run_id}", headers=me)
        client.post(f"{base}/v1/runs/{run_id}/stop", headers=me)
        ids = [line[4:] for line in (streamed or [""])[0].splitlines() if line.startswith("id: ")]
        if ids:
            client.get(events, headers={**me, "Last-Event-ID": ids[0]})
        else:
            errors.append("no SSE event read")
        for page in (1, 2):
            client.get(runs, headers=me, params={"page": page, "size": 1})
        client.get(runs)  # no key
        client.get(poll, headers=other)  # another workspace
        client.post(runs, headers=me, json={})  # invalid
    if not receiver.wait_for(token, 1, 10):
        errors.append("no webhook arrived")
    time.sleep(0.5)  # a duplicate has this long to show up
    return errors


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Seen]]:
    reports = tmp_path_factory.mktemp("proxy")
    with serving(Settings(speed=20.0)) as mock, ExitStack() as stack:
        receiver = stack.enter_context(receiving(None, 0))
        checkers: dict[str, ContractProxy] = {}
        urls: dict[str, str] = {}
        for name in [FAITHFUL, *FAULTS, "suite"]:
            upstream = mock.url
            if name not in {FAITHFUL, "suite"}:
                broken = Proxy(mock.url, name)
                broken.public = upstream = stack.enter_context(asgi_server(broken, free_port()))
            port = free_port()
            checker = ContractProxy(
                upstream,
                public=f"http://127.0.0.1:{port}",
                junitxml=reports / f"{name}.xml",
            )
            urls[name] = stack.enter_context(asgi_server(checker, port))
            checkers[name] = checker
        with ThreadPoolExecutor(max_workers=6) as pool:
            suite = pool.submit(run_suite, urls["suite"])
            tours = {
                name: pool.submit(tour, url, f"tour-{name}", receiver)
                for name, url in urls.items()
                if name != "suite"
            }
            errors = {name: future.result() for name, future in tours.items()}
            suite_outcome = suite.result()
        # every proxy closes its clients at shutdown, the checkers write their JUnit then
        stack.close()
    found = {
        name: Seen(
            dict(checker.log.counts),
            errors.get(name, suite_outcome),
            (reports / f"{name}.xml").read_text(),
        )
        for name, checker in checkers.items()
    }
    found["suite"].tour_errors = suite_outcome
    yield found


def run_suite(url: str) -> list[str]:
    command = [sys.executable, "-m", "contract_tests", "--base-url", url, "--api-key"]
    command += [SUITE_KEY, "--other-api-key", SUITE_KEY + "-b", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=280)
    return [] if done.returncode == 0 else [f"exit {done.returncode}", done.stdout[-12000:]]


def test_the_contract_suite_passes_through_the_proxy_which_reports_nothing(
    seen: dict[str, Seen],
) -> None:
    suite = seen["suite"]
    assert suite.tour_errors == [], suite.tour_errors
    assert suite.by_rule == {}, suite.junit[:4000]


def test_clean_traffic_gives_no_violation(seen: dict[str, Seen]) -> None:
    assert seen[FAITHFUL].tour_errors == []
    assert seen[FAITHFUL].by_rule == {}, seen[FAITHFUL].junit[:4000]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_broken_variant_is_reported_with_its_rule(seen: dict[str, Seen], fault: str) -> None:
    found, rule = seen[fault], FAULTS[fault]
    assert rule in found.by_rule, f"{fault}: saw {found.by_rule}"
    cases = {c.get("name"): c for c in ET.fromstring(found.junit).iter("testcase")}
    failure = cases[rule].find("failure")
    assert failure is not None and f"[{rule}]" in (failure.get("message") or "")
    assert "curl " in (failure.text or "")
    assert f"tour-{fault}" not in found.junit  # the key is never written


def test_junit_has_one_case_per_rule(seen: dict[str, Seen]) -> None:
    suite = ET.fromstring(seen[FAITHFUL].junit)
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == [rule.id for rule in rules.ALL]
    assert suite.get("failures") == "0"


@pytest.fixture
def strict_proxy() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    with serving(Settings(speed=20.0)) as mock:
        port = free_port()
        checker = ContractProxy(mock.url, public=f"http://127.0.0.1:{port}", strict=True)
        with asgi_server(checker, port) as url:
            yield url, mock.requests


def test_strict_answers_an_invalid_request_422_without_forwarding(
    strict_proxy: tuple[str, list[tuple[str, str]]],
) -> None:
    url, forwarded = strict_proxy
    runs = f"/v1/workflows/{QA.id}/runs"
    answer = httpx.post(url + runs, headers={"X-API-Key": "k"}, json={"input": 3, "x": 1})
    assert answer.status_code == 422
    locs = [item["loc"] for item in answer.json()["detail"]]
    assert ["body", "input"] in locs and ["body", "x"] in locs, locs
    assert ("POST", runs) not in forwarded
    ok = httpx.post(url + runs, headers={"X-API-Key": "k"}, json={"input": {}})
    assert ok.status_code == 200 and ("POST", runs) in forwarded


def test_violations_are_listed_filtered_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    with serving(Settings(speed=20.0)) as mock, ExitStack() as stack:
        broken = Proxy(mock.url, "progress-not-100")
        broken.public = stack.enter_context(asgi_server(broken, free_port()))
        port = free_port()
        checker = ContractProxy(broken.public, public=f"http://127.0.0.1:{port}")
        url = stack.enter_context(asgi_server(checker, port))
        key = {"X-API-Key": "secret-key-1"}
        run = httpx.post(
            f"{url}/v1/workflows/{QA.id}/runs",
            headers={**key, "Prefer": "duration=1s"},
            json={"input": {}},
        ).json()
        time.sleep(0.3)
        httpx.get(f"{url}/v1/workflows/{QA.id}/runs/{run['id']}", headers=key)
        listed = httpx.get(f"{url}/_mock/violations", params={"run": run["id"]}).json()
        other = httpx.get(f"{url}/_mock/violations", params={"rule": "sse.resume"}).json()
        health = httpx.get(f"{url}/_mock/health").json()
        stack.close()
    assert [v["rule"] for v in listed["items"]] == ["lifecycle.progress"]
    assert listed["items"][0]["run_id"] == run["id"]
    assert "secret-key-1" not in json.dumps(listed)
    assert "$NOXUS_API_KEY" in listed["items"][0]["curl"][0]
    assert other["items"] == [] and health["violations"] == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver.proxy"]
    assert any("lifecycle.progress" in line and run["id"] in line for line in lines), lines


def test_the_cli_starts_the_proxy_and_writes_junit_at_shutdown(tmp_path: Path) -> None:
    with serving(Settings(speed=20.0)) as mock:
        port, report = free_port(), tmp_path / "proxy.xml"
        command = [sys.executable, "-m", "mockserver", "proxy", "--upstream", mock.url]
        command += ["--port", str(port), "--junitxml", str(report)]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.1)
            assert health.json()["upstream"] == mock.url
            relayed = httpx.get(f"http://127.0.0.1:{port}/v1/nodes", headers={"X-API-Key": "k"})
            assert relayed.status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    suite = ET.fromstring(report.read_text())
    assert suite.get("failures") == "0"
    # One call was seen: its response rules were checked and held (passed: no child
    # element); no webhook was, so its rules are not reported as passed.
    verdicts = {
        c.get("name"): [(child.tag, child.get("message")) for child in c]
        for c in suite.iter("testcase")
    }
    assert verdicts[rules.RESPONSE_SCHEMA.id] == []
    assert verdicts["webhook.exactly-once"] == [("skipped", "not exercised by the traffic seen")]


def test_sse_is_relayed_as_it_comes_not_when_the_stream_ends() -> None:
    with serving(Settings(speed=1.0)) as mock:
        port = free_port()
        checker = ContractProxy(mock.url, public=f"http://127.0.0.1:{port}")
        with asgi_server(checker, port) as url:
            key = {"X-API-Key": "k"}
            run = httpx.post(
                f"{url}/v1/workflows/{QA.id}/runs",
                headers={**key, "Prefer": "duration=5s"},
                json={"input": {}},
            ).json()
            began = time.monotonic()
            with httpx.stream("GET", f"{url}/v1/runs/{run['id']}/events", headers=key) as got:
                first = next(got.iter_lines())
                took = time.monotonic() - began
    assert first.startswith(("event:", "id:", "data:", ":")), first
    assert took < 2, f"the first event took {took:.1f} s: buffered until the run's end?"
