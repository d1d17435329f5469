"""Scenario selection: the Prefer grammar, precedence, and every outcome reachable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from mockserver.core.planning import plan
from mockserver.core.prefer import parse_prefer
from mockserver.core.scenario import Scenario, parse_duration
from mockserver.core.workflows import BUILTIN, Node, Rule, Workflow
from tests.conftest import KEY, QA

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workflows.yaml"
INVOICE = "dababc43-faab-5d28-b6fd-ebc686b0de50"  # uuid5 of the slug "invoice-extraction"


def test_prefer_grammar_keeps_known_tokens_and_ignores_the_rest() -> None:
    prefs = parse_prefer(
        "outcome=failed, duration=30s, fail_at=answer, bogus=1, latency=100-300ms, "
        "fault=503, sse_cut=3, webhook_fail=2, webhook_duplicate=1, webhook_delay=2s, "
        "latency=9-1ms, outcome=exploded, duration=soon"
    )
    assert prefs.scenario == Scenario(outcome="failed", duration_s=30.0, fail_at="answer")
    assert parse_prefer("fail_at=answer").scenario.outcome == "failed"
    faults = prefs.faults
    assert (faults.latency_ms, faults.status, faults.sse_cut_after) == ((100, 300), 503, 3)
    assert (faults.webhook_fail_times, faults.webhook_duplicates, faults.webhook_delay_s) == (
        2,
        1,
        2.0,
    )
    assert "bogus=1" not in prefs.applied and "outcome=exploded" not in prefs.applied
    assert "latency=9-1ms" not in prefs.applied and "duration=soon" not in prefs.applied
    assert "outcome=failed" in prefs.applied
    # replay= is part of the grammar (`;` too); echoed by the handler only when it plays
    replay = parse_prefer('duration=2s; Replay="run-1"')
    assert replay.replay == "run-1" and replay.applied == ("duration=2s",)
    assert parse_prefer("replay=").replay is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("250ms", 0.25), ("2s", 2.0), ("1.5m", 90.0), ("x", None)]
)
def test_durations(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_precedence_fills_only_unset_fields() -> None:
    prefer = Scenario(outcome="failed")
    rule = Scenario(outcome="completed", duration_s=10)
    default = Scenario(duration_s=99, node_duration_s=2)
    merged = prefer.over(rule).over(default)
    assert merged == Scenario(outcome="failed", duration_s=10, node_duration_s=2)


def test_rules_match_on_json_pointers_first_match_wins() -> None:
    workflow = Workflow(
        id="w",
        name="w",
        nodes=(Node("a", "input", "A"),),
        default=Scenario(outcome="completed"),
        rules=(
            Rule((("/input/A", "x"), ("/tracing", True)), Scenario(outcome="failed")),
            Rule((("/input/A", "x"),), Scenario(outcome="stopped")),
            Rule((("/node_ids/0", "a"),), Scenario(outcome="awaiting_human_feedback")),
        ),
    )
    assert workflow.scenario_for({"input": {"A": "x"}, "tracing": True}).outcome == "failed"
    assert workflow.scenario_for({"input": {"A": "x"}}).outcome == "stopped"
    assert (
        workflow.scenario_for({"input": {}, "node_ids": ["a"]}).outcome == "awaiting_human_feedback"
    )
    assert workflow.scenario_for({"input": {"A": "y"}}).outcome == "completed"


def test_a_ten_minute_plan_scales_every_step() -> None:
    timeline = plan(
        QA,
        QA.node_ids,
        created_at=0.0,
        scenario=Scenario(duration_s=600, queue_delay_s=0.5, node_duration_s=1),
    )
    assert timeline.ends_at == pytest.approx(600)


MANUAL = Settings(workflows_file=SAMPLE)


def _run(client: Any, wf: str, body: dict[str, Any], prefer: str = "") -> dict[str, Any]:
    headers = {**KEY, "Prefer": prefer} if prefer else KEY
    response = client.post(f"/v1/workflows/{wf}/runs", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _poll(client: Any, wf: str, run: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"/v1/workflows/{wf}/runs/{run['id']}", headers=KEY).json())


@pytest.fixture
def sample_client(clock: ManualClock) -> Any:
    with create_app(MANUAL, clock=clock).test_client() as client:
        yield client


@pytest.mark.parametrize(
    ("invoice", "status"),
    [
        ("ok.pdf", "completed"),
        ("broken.pdf", "failed"),
        ("needs-review.pdf", "awaiting_human_feedback"),
    ],
)
def test_each_outcome_through_a_yaml_rule(
    sample_client: Any, clock: ManualClock, invoice: str, status: str
) -> None:
    run = _run(sample_client, INVOICE, {"input": {"Invoice": invoice}})
    clock.advance(3600)
    final = _poll(sample_client, INVOICE, run)
    assert final["status"] == status
    if status == "failed":
        assert final["progress_details"]["run_logs"]["error"] == [
            "Cannot read broken.pdf: not a PDF"
        ]
    if status == "completed":
        assert final["output"] == {"Fields": "Fields read from ok.pdf", "Total": "1234.50"}


def test_prefer_wins_over_the_yaml_rule(sample_client: Any, clock: ManualClock) -> None:
    run = _run(
        sample_client, INVOICE, {"input": {"Invoice": "broken.pdf"}}, prefer="outcome=completed"
    )
    clock.advance(3600)
    assert _poll(sample_client, INVOICE, run)["status"] == "completed"


def test_workflow_default_and_node_durations_apply(sample_client: Any, clock: ManualClock) -> None:
    run = _run(sample_client, INVOICE, {"input": {"Invoice": "ok.pdf"}})
    clock.advance(4.9)
    assert _poll(sample_client, INVOICE, run)["status"] == "running"
    clock.advance(0.2)  # the workflow default says the whole run takes 5 s
    assert _poll(sample_client, INVOICE, run)["status"] == "completed"


@pytest.mark.parametrize("outcome", ["completed", "failed", "stopped", "awaiting_human_feedback"])
def test_each_outcome_through_prefer(client: Any, clock: ManualClock, outcome: str) -> None:
    run = _run(client, QA.id, {"input": {}}, prefer=f"outcome={outcome}")
    clock.advance(3600)
    assert _poll(client, QA.id, run)["status"] == outcome


def test_fail_at_and_pause_at_name_the_node(client: Any, clock: ManualClock) -> None:
    failed = _run(client, QA.id, {"input": {}}, prefer="fail_at=answer")
    paused = _run(client, QA.id, {"input": {}}, prefer="pause_at=answer")
    ignored = client.post(
        f"/v1/workflows/{QA.id}/runs", json={"input": {}}, headers={**KEY, "Prefer": "fail_at=nope"}
    )
    assert "Preference-Applied" not in ignored.headers
    clock.advance(3600)
    done = _poll(client, QA.id, failed)
    assert (done["status"], done["progress_details"]["executed_nodes"]) == ("failed", ["input"])
    waiting = _poll(client, QA.id, paused)
    assert (waiting["status"], waiting["progress_details"]["executed_nodes"]) == (
        "awaiting_human_feedback",
        ["input"],
    )
    assert _poll(client, QA.id, ignored.json())["status"] == "completed"


def test_builtin_catalogue_is_kept_beside_the_file(sample_client: Any) -> None:
    # by name and nodes: an unknown id would get a generated workflow, also a 200
    for workflow in BUILTIN:
        body = sample_client.get(f"/v1/workflows/{workflow.id}", headers=KEY).json()
        assert body["name"] == workflow.name, "built-in workflow replaced by a generated one"
    translate = sample_client.get("/v1/workflows/7d444840-9dc0-11d1-b245-5ffdce74fad2", headers=KEY)
    assert translate.json()["name"] == "Translate"
