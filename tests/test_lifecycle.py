"""Properties of the pure lifecycle, over generated timelines and observation times."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.lifecycle import (
    LEGAL_MOVES,
    TERMINAL,
    IllegalMove,
    Step,
    Timeline,
    is_legal_sequence,
)

T0 = 1_700_000_000.0
durations = st.floats(min_value=0, max_value=50, allow_nan=False, allow_infinity=False)


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    count = draw(st.integers(min_value=0, max_value=6))
    steps = tuple(Step(f"n{i}", draw(durations)) for i in range(count))
    outcome = draw(st.sampled_from(["completed", "failed"]))
    fail_at = (
        draw(st.sampled_from([s.node_id for s in steps])) if steps and outcome == "failed" else None
    )
    timeline = Timeline(
        created_at=T0,
        queue_delay=draw(durations),
        steps=steps,
        skipped=("skipped-node",),
        outcome=outcome,
        fail_at=fail_at,
        error="boom" if outcome == "failed" else None,
    )
    if draw(st.booleans()):
        at = T0 + draw(st.floats(min_value=0, max_value=1)) * (timeline.ends_at - T0)
        if not timeline.snapshot_at(at).terminal:
            timeline = timeline.stop(at)
    return timeline


observation_times = st.lists(st.floats(min_value=-10, max_value=400), min_size=1, max_size=30)


@given(timelines())
def test_moments_follow_legal_moves_and_end_terminal(timeline: Timeline) -> None:
    statuses = [m.snapshot.status for m in timeline.moments]
    assert statuses[0] == "queued"
    assert is_legal_sequence(statuses), statuses
    assert statuses[-1] in TERMINAL
    assert [s for s in statuses if s in TERMINAL] == [statuses[-1]]
    times = [m.at for m in timeline.moments]
    assert times == sorted(times)


@given(timelines(), observation_times)
def test_observed_state_is_consistent_at_any_times(
    timeline: Timeline, offsets: list[float]
) -> None:
    seen = [timeline.snapshot_at(T0 + off) for off in sorted(offsets)]
    for before, after in pairwise(seen):
        # terminal states absorb; progress never decreases
        if before.terminal:
            assert after == before
        assert after.progress >= before.progress
    for snap in seen:
        assert isinstance(snap.progress, int)
        assert 0 <= snap.progress <= 100
        assert (snap.finished_at is not None) == snap.terminal
        if snap.finished_at is not None:
            assert snap.finished_at >= T0
        if snap.status == "completed":
            assert snap.progress == 100
        nodes = (*snap.executed, *snap.failed, *snap.running, *snap.remaining)
        assert list(nodes) == [s.node_id for s in timeline.steps][: len(nodes)]
        assert snap.skipped == ("skipped-node",)


@given(timelines())
def test_a_terminal_run_refuses_to_stop(timeline: Timeline) -> None:
    end = timeline.ends_at
    status = timeline.snapshot_at(end).status
    with pytest.raises(IllegalMove):
        timeline.stop(end)
    assert timeline.snapshot_at(end + 1000).status == status


@settings(max_examples=50)
@given(timelines(), st.floats(min_value=0, max_value=1))
def test_stopping_a_live_run_ends_it_stopped_at_that_time(timeline: Timeline, frac: float) -> None:
    timeline = replace(timeline, stop_at=None)
    at = T0 + frac * (timeline.ends_at - T0)
    if timeline.snapshot_at(at).terminal:
        return
    stopped = timeline.stop(at)
    final = stopped.snapshot_at(at)
    assert final.status == "stopped"
    assert final.finished_at == at
    assert final.running == ()
    assert stopped.snapshot_at(at + 10_000) == final


def test_a_three_node_run_walks_queued_running_completed() -> None:
    timeline = Timeline(T0, 0.5, (Step("a", 1), Step("b", 1), Step("c", 1)))
    assert timeline.snapshot_at(T0).status == "queued"
    assert [timeline.snapshot_at(T0 + t).progress for t in (0.6, 1.6, 2.6)] == [0, 33, 66]
    done = timeline.snapshot_at(T0 + 3.5)
    assert (done.status, done.progress, done.finished_at) == ("completed", 100, T0 + 3.5)
    assert done.executed == ("a", "b", "c")


def test_a_failing_node_fails_the_run_with_its_error() -> None:
    timeline = Timeline(
        T0, 0, (Step("a", 1), Step("b", 1)), outcome="failed", fail_at="a", error="x"
    )
    final = timeline.snapshot_at(T0 + 100)
    got = (final.status, final.executed, final.failed, final.remaining, final.error)
    assert got == ("failed", (), ("a",), ("b",), "x")


def test_legal_moves_table_matches_the_design() -> None:
    assert LEGAL_MOVES["queued"] == {"running", "stopped"}
    assert LEGAL_MOVES["awaiting_human_feedback"] == {"running", "stopped"}
    assert all(not LEGAL_MOVES[s] for s in TERMINAL)
    assert not is_legal_sequence(["queued", "completed"])
