"""The suite judges only what the spec says, and its failures show what broke: in-process
checks of its pieces (no server), one per behaviour a spec-conforming backend may have."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from apicontract.spec import Spec
from contract_tests import contract, fuzzing, options, rules
from contract_tests.event_log import check_stream
from contract_tests.exchange import Exchange
from contract_tests.prerequisite import Prerequisite
from contract_tests.receiver import Delivery
from contract_tests.rules import ContractViolation, require, shows_case
from contract_tests.sse import EventStream, read

RUN_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
DETAILS = {"executed_nodes": [], "remaining_nodes": [], "running_nodes": [], "skipped_nodes": []}


@pytest.fixture
def thorough() -> Iterator[options.Options]:
    """The suite's options as its conftest installs them, restored afterwards."""
    saved = list(options._current)
    options.install(options.Options.parse({**_empty(), "profile": "thorough"}))
    yield options.current()
    options._current[:] = saved


def test_no_generated_case_carries_prefer_in_any_phase_or_profile(
    thorough: options.Options,
) -> None:
    """`Prefer` is x-mock: schemathesis sees the spec without it, so no phase sends it."""
    document = json.dumps(contract.public_document())
    assert '"name": "Prefer"' not in document and '"x-mock"' not in document
    assert '"Preference-Applied": {' not in document
    schema = fuzzing.load(thorough, modes=list(GenerationMode))
    drawn = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:

            @settings(max_examples=8, database=None, deadline=None)
            @given(case=operation.as_strategy(generation_mode=mode))
            def no_prefer(case: Any) -> None:
                nonlocal drawn
                drawn += 1
                assert "prefer" not in {k.lower() for k in (case.headers or {})}, case.headers

            with contextlib.suppress(Unsatisfiable):  # nothing to make invalid (/v1/nodes)
                no_prefer()
    assert drawn > 60


def _empty() -> dict[str, str | None]:
    return {s.dest.removeprefix("contract_"): None for s in options.SPECS}


@pytest.fixture
def renamed_delivery_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """openapi.yaml with its callback's delivery-id header renamed."""
    document = yaml.safe_load(contract.document_path().read_text())
    hook = contract.resolve(rules.WEBHOOK, document)
    for parameter in hook["parameters"]:
        if parameter.get("x-delivery-id"):
            parameter["name"] = "X-Acme-Delivery"
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setattr(contract, "spec", lambda: Spec(path))
    contract.delivery_id_header.cache_clear()
    yield "x-acme-delivery"
    contract.delivery_id_header.cache_clear()


def test_the_delivery_id_header_is_the_one_the_spec_names(renamed_delivery_header: str) -> None:
    delivery = Delivery("/hook/t", {renamed_delivery_header: "d-1"}, b"{}", 200)
    assert contract.delivery_id_header() == renamed_delivery_header
    assert delivery.delivery_id == "d-1"
    assert Delivery("/hook/t", {"x-noxus-delivery-id": "d-1"}, b"{}", 200).delivery_id is None


def test_webhook_evidence_shows_every_header() -> None:
    headers = {"content-type": "application/json", "user-agent": "x", "x-noxus-delivery-id": "d"}
    shown = Delivery("/hook/t", headers, b'{"run_id": "r"}', 500).describe()
    for name in headers:
        assert f"{name}: " in shown, shown


def _events(final: str = "completed") -> list[tuple[str, dict[str, Any]]]:
    state = {"status": "running", "progress": 0, "progress_details": DETAILS}
    done = {"status": final, "progress": 100, "progress_details": DETAILS}
    last = {"id": RUN_ID, "status": final, "workflow_status": final}
    return [
        ("1-0", {"type": "state", "data": state}),
        ("2-0", {"type": "content", "data": {"id": "a", "status": "completed"}}),
        ("2-1", {"type": "state", "data": done}),
        ("2-2", {"type": "content", "data": last}),
    ]


def _wire(events: list[tuple[str, dict[str, Any]]], end: str) -> bytes:
    """An SSE body with `end` line endings, `retry:` blocks and comments between events."""
    out = ["retry: 3000", "", ": opening comment"]
    for event_id, body in events:
        data = json.dumps({**body, "redisId": event_id})
        out += ["event: message", f"id: {event_id}", f"data: {data}", "", "retry: 2500", ""]
        out.append(": between events")
    return end.join([*out, ""]).encode()


def _stream(raw: bytes) -> EventStream:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=raw)

    with httpx.Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(answer)) as c:
        return read(c, f"/v1/runs/{RUN_ID}/events", {}, secrets={}, timeout=5)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_retry_blocks_and_comments_are_not_events(end: str) -> None:
    stream = _stream(_wire(_events(), end))
    assert [frame.id for frame in stream.frames] == ["1-0", "2-0", "2-1", "2-2"]
    assert len(stream.other_blocks) == 5 and len(stream.comments) == 5
    assert [body["type"] for body in check_stream(stream)] == [
        "state",
        "content",
        "state",
        "content",
    ]


def test_stream_evidence_keeps_the_offending_event() -> None:
    """A bad event deep inside a long stream is shown, marked, with its neighbours."""
    events = _events()
    filler = [(f"1-{n}", events[0][1]) for n in range(1, 40)]
    broken = [(f"1-{n}", {"type": "state", "data": {"status": "running"}}) for n in (40,)]
    stream = _stream(_wire([events[0], *filler[:19], *broken, *filler[20:], *events[1:]], "\n"))
    with pytest.raises(ContractViolation) as failure:
        check_stream(stream)
    text = str(failure.value)
    assert text.startswith(f"[{rules.SSE_FORMAT.id}]"), text[:200]
    assert "[event 20]  <-- here" in text and "id: 1-40" in text, text


def test_a_hypothesis_failure_names_the_values_it_was_given() -> None:
    @settings(max_examples=1, database=None, derandomize=True)
    @given(outcome=st.just("failed"), interval=st.just(0.04))
    @shows_case
    def prop(outcome: str, interval: float) -> None:
        require(rules.ENDS, False, "never ends")

    with pytest.raises(ContractViolation) as failure:
        prop()
    assert "case: outcome='failed', interval=0.04" in str(failure.value)


def _violation(rule: rules.Rule, problem: str) -> ContractViolation:
    return ContractViolation(rule, problem, [])


def test_one_report_names_every_rule_once_root_first() -> None:
    found = rules.Findings()
    with rules.collecting(found):
        rules.check(rules.FINISHED_AT, False, "status 'failed' with finished_at None")
        rules.check(rules.CREATED_QUEUED, False, "created with status 'failed'")
        rules.check(rules.FINISHED_AT, False, "a second view, the same rule")
        assert rules.check(rules.PROGRESS, True, "held")
    with pytest.raises(rules.BrokenRules) as broken:
        found.raise_any()
    report = broken.value.report()
    assert report.splitlines()[:2] == [
        "[lifecycle.created-queued] created with status 'failed'",
        "[lifecycle.finished-at] status 'failed' with finished_at None",
    ]
    assert "a second view" not in report and report.count("spec: openapi.yaml#") == 2


def test_without_a_collector_check_raises_as_require_does() -> None:
    with pytest.raises(ContractViolation):
        rules.check(rules.PROGRESS, False, "went down")


def test_a_property_example_that_breaks_a_rule_ends_the_property_without_hypothesis() -> None:
    """Nothing reaches hypothesis: no replay of a run a real backend may not repeat."""
    ran: list[int] = []

    @settings(max_examples=20, database=None, derandomize=True)
    @given(n=st.integers(0, 1000))
    @shows_case
    def prop(n: int) -> None:
        ran.append(n)
        rules.check(rules.OUTPUT, False, "soft, the example goes on")
        require(rules.ENDS, False, "never ends")

    found = rules.Findings()
    with rules.collecting(found):
        prop()  # passes for hypothesis
    assert len(ran) == 1 and set(found.by_rule) == {rules.OUTPUT.id, rules.ENDS.id}
    assert all(f"case: n={ran[0]}" in str(v) for v in found.by_rule.values())


def test_a_broken_fixture_is_reported_once_then_not_checked_because() -> None:
    def make() -> str:
        require(rules.RESPONSE_SCHEMA, False, "expected 200 with a run's id, got 500")
        return "never"

    shared = Prerequisite.of(make)
    with pytest.raises(ContractViolation):
        shared.get("test_first")
    for name in ("test_second", "test_third"):
        with pytest.raises(pytest.skip.Exception, match=r"not checked because \[spec\."):
            shared.get(name)
    assert Prerequisite.of(lambda: "run-1").get("test_any") == "run-1"


def test_a_curl_resends_the_exact_bytes() -> None:
    raw = b"\xff\xfe73qa'\n"
    exchange = Exchange("POST", "http://127.0.0.1:9/v1/x", {}, raw, 422, {}, b"")
    word = exchange.curl().split("--data-binary ", 1)[1]
    echoed = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert echoed.stdout == raw
