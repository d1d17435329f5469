"""Lifecycle properties over real HTTP: hypothesis picks the outcome (through `Prefer`,
where the implementation honours it), the run's length and how densely it is polled."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.api import Api, applied, prefer
from contract_tests.budget import time_box
from contract_tests.contract import terminal
from contract_tests.error_body import check_error_body
from contract_tests.history import RunHistory, valid_body
from contract_tests.options import current
from contract_tests.rules import check, require, shows_case

EFFORT = current().effort
EXAMPLES = settings(max_examples=EFFORT.lifecycle_examples)
POLLED = time_box("lifecycle: polled runs", EFFORT.time_box_s, EFFORT.min_examples)
OUTCOMES = st.sampled_from([None, "completed", "failed", "stopped"])
DURATIONS = st.sampled_from([None, "1s", "3s"])  # honoured by the mock (simulated seconds)
INTERVALS = st.sampled_from([0.0, 0.01, 0.04, 0.15])  # real seconds between polls


def follow(api: Api, history: RunHistory, interval: float) -> str:
    """Poll until terminal (bounded), then twice more: a terminal run must not change."""
    for poll in api.poll_until_terminal(history.run_id, interval, terminal()):
        history.add(poll)
    status = history.require_terminal()
    for _ in range(2):
        time.sleep(interval)
        history.add(api.poll(history.run_id))
    return status


@EXAMPLES
@given(outcome=OUTCOMES, duration=DURATIONS, interval=INTERVALS)
@shows_case
def test_a_polled_run_follows_the_lifecycle(
    api: Api, outcome: str | None, duration: str | None, interval: float
) -> None:
    if not POLLED.admit():
        return  # the time box is spent: each example waits for a whole run
    created = api.create(prefer=prefer(outcome, duration))
    history = RunHistory.created(created)
    status = follow(api, history, interval)
    chosen = applied(created, "outcome")
    require(
        rules.OUTCOME,
        chosen is None or chosen == status,
        f"Preference-Applied says outcome={chosen}, the run ended {status}",
        created,
        history.views[-1][0],
    )
    by_id = api.run_by_id(history.run_id)
    body = valid_body(by_id, "RunNoIO")
    require(
        rules.TERMINAL_FINAL,
        body["status"] == status and body.get("finished_at") == history.last["finished_at"],
        f"GET /v1/runs/{{id}} says {body['status']} / {body.get('finished_at')}, "
        f"the poll said {status} / {history.last['finished_at']}",
        history.views[-1][0],
        by_id,
    )


@EXAMPLES
@given(delay=st.sampled_from([0.0, 0.02, 0.1]))
@shows_case
def test_stopping_a_live_run_stops_it_for_good(api: Api, delay: float) -> None:
    created = api.create(prefer=prefer("completed", "20s"))
    history = RunHistory.created(created)
    time.sleep(delay)
    stop = api.stop(history.run_id)
    after = api.poll(history.run_id)
    if stop.status == 409:
        # Refusing is right only if the run had already ended on its own.
        ended = after.json_or_none() or {}
        require(
            rules.STOP_LIVE,
            ended.get("status") in terminal() - {"stopped"},
            f"stop refused (409) but the run is {ended.get('status')!r} afterwards",
            stop,
            after,
        )
        return
    body = valid_body(stop, "SimplifiedRun")
    require(rules.STOP_LIVE, body["status"] == "stopped", f"stop answered {body['status']!r}", stop)
    history.add(stop)
    history.add(after)
    require(
        rules.STOP_LIVE,
        follow(api, history, 0.02) == "stopped",
        f"stopped, then {history.last['status']!r}",
        stop,
        history.views[-1][0],
    )


def test_stopping_a_terminal_run_is_refused(api: Api) -> None:
    created = api.create(prefer=prefer("completed", "1s"))
    history = RunHistory.created(created)
    before = follow(api, history, 0.02)
    stop = api.stop(history.run_id)
    if check(
        rules.STOP_FINAL, stop.status == 409, f"stop of a {before} run answered {stop.status}", stop
    ):
        check_error_body(stop)
    history.add(api.poll(history.run_id))  # terminal-final: nothing changed
