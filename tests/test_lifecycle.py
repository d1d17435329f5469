"""Properties of the pure lifecycle, over generated timelines, changes and observation times."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.core.lifecycle import (
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
def plans(draw: st.DrawFn) -> Timeline:
    count = draw(st.integers(min_value=0, max_value=6))
    steps = tuple(Step(f"n{i}", draw(durations)) for i in range(count))
    nodes = [s.node_id for s in steps]
    outcome = draw(st.sampled_from(["completed", "failed"]))
    fail_at = draw(st.sampled_from(nodes)) if nodes and outcome == "failed" else None
    pause_at = draw(st.none() | st.sampled_from(nodes)) if nodes else None
    return Timeline.plan(
        T0,
        draw(durations),
        steps,
        skipped=("skipped-node",),
        outcome=outcome,
        fail_at=fail_at,
        error="boom" if outcome == "failed" else None,
        pause_at=pause_at,
    )


changes = st.lists(
    st.tuples(
        st.sampled_from(["stop", "resume", "advance", "completed", "failed"]),
        st.floats(min_value=0, max_value=60),
    ),
    max_size=6,
)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Timeline, list[tuple[float, Timeline]]]:
    """A planned timeline, then the same after random control moves at rising times;
    the history holds (time of the change, timeline after it)."""
    timeline = draw(plans())
    history = [(T0, timeline)]
    t = T0
    for action, gap in draw(changes):
        t += gap
        try:
            if action == "stop":
                timeline = timeline.stop(t)
            elif action == "resume":
                timeline = timeline.resume(t)
            elif action == "advance":
                timeline = timeline.advance(t)
            else:
                timeline = timeline.force(t, action)
        except IllegalMove:
            continue
        history.append((t, timeline))
    return timeline, history


@given(timelines())
def test_moments_follow_legal_moves(
    generated: tuple[Timeline, list[tuple[float, Timeline]]],
) -> None:
    timeline, _ = generated
    statuses = [m.snapshot.status for m in timeline.moments]
    assert statuses[0] == "queued"
    assert is_legal_sequence(statuses), statuses
    terminal = [s for s in statuses if s in TERMINAL]
    assert terminal in ([], [statuses[-1]])
    times = [m.at for m in timeline.moments]
    assert times == sorted(times)
    if timeline.ends_at is None:
        assert statuses[-1] == "awaiting_human_feedback"


@given(timelines())
def test_changes_never_rewrite_what_already_happened(
    generated: tuple[Timeline, list[tuple[float, Timeline]]],
) -> None:
    _, history = generated
    for (_, before), (t, after) in pairwise(history):
        earlier = [m for m in before.moments if m.at < t]
        assert list(after.moments[: len(earlier)]) == earlier


observation_times = st.lists(st.floats(min_value=-10, max_value=700), min_size=1, max_size=30)


@given(timelines(), observation_times)
def test_observed_state_is_consistent_at_any_times(
    generated: tuple[Timeline, list[tuple[float, Timeline]]], offsets: list[float]
) -> None:
    timeline, _ = generated
    seen = [timeline.snapshot_at(T0 + off) for off in sorted(offsets)]
    for before, after in pairwise(seen):
        if before.terminal:  # terminal states absorb
            assert after == before
        assert after.progress >= before.progress  # progress never decreases
    for snap in seen:
        assert isinstance(snap.progress, int)
        assert 0 <= snap.progress <= 100
        assert (snap.finished_at is not None) == snap.terminal
        if snap.finished_at is not None:
            assert snap.finished_at >= T0
            assert snap.started_at is None or snap.started_at <= snap.finished_at
        if snap.status == "completed":
            assert snap.progress == 100
        assert snap.skipped == ("skipped-node",)


@given(plans())
def test_a_terminal_run_refuses_every_change(timeline: Timeline) -> None:
    if timeline.ends_at is None:
        timeline = timeline.resume(timeline.last.at)
    end = timeline.last.at
    status = timeline.snapshot_at(end).status
    for change in (timeline.stop, timeline.resume, timeline.advance):
        with pytest.raises(IllegalMove):
            change(end)
    with pytest.raises(IllegalMove):
        timeline.force(end, "completed")
    assert timeline.snapshot_at(end + 1000).status == status


@settings(max_examples=50)
@given(plans(), st.floats(min_value=0, max_value=1))
def test_stopping_a_live_run_ends_it_stopped_at_that_time(timeline: Timeline, frac: float) -> None:
    at = T0 + frac * (timeline.last.at - T0)
    if timeline.snapshot_at(at).terminal:
        return
    stopped = timeline.stop(at)
    final = stopped.snapshot_at(at)
    assert final.status == "stopped"
    assert final.finished_at == at
    assert final.running == ()
    assert stopped.snapshot_at(at + 10_000) == final


def test_a_three_node_run_walks_queued_running_completed() -> None:
    timeline = Timeline.plan(T0, 0.5, (Step("a", 1), Step("b", 1), Step("c", 1)))
    assert timeline.snapshot_at(T0).status == "queued"
    assert [timeline.snapshot_at(T0 + t).progress for t in (0.6, 1.6, 2.6)] == [0, 33, 66]
    done = timeline.snapshot_at(T0 + 3.5)
    assert (done.status, done.progress, done.finished_at) == ("completed", 100, T0 + 3.5)
    assert done.executed == ("a", "b", "c")


def test_a_failing_node_fails_the_run_with_its_error() -> None:
    timeline = Timeline.plan(
        T0, 0, (Step("a", 1), Step("b", 1)), outcome="failed", fail_at="a", error="x"
    )
    final = timeline.snapshot_at(T0 + 100)
    got = (final.status, final.executed, final.failed, final.remaining, final.error)
    assert got == ("failed", (), ("a",), ("b",), "x")


def test_a_paused_run_waits_until_resumed_then_carries_on() -> None:
    timeline = Timeline.plan(T0, 0.5, (Step("a", 1), Step("b", 1)), pause_at="b")
    assert timeline.snapshot_at(T0 + 1.5).status == "awaiting_human_feedback"
    assert timeline.snapshot_at(T0 + 10_000).status == "awaiting_human_feedback"
    assert timeline.ends_at is None
    resumed = timeline.resume(T0 + 100)
    assert resumed.snapshot_at(T0 + 100).status == "running"
    final = resumed.snapshot_at(T0 + 101)
    assert (final.status, final.started_at, final.finished_at) == ("completed", T0 + 0.5, T0 + 101)


def test_advance_brings_the_next_step_to_now() -> None:
    timeline = Timeline.plan(T0, 600, (Step("a", 600),))
    step = timeline.advance(T0 + 1)
    assert step.snapshot_at(T0 + 1).status == "running"
    assert step.advance(T0 + 2).snapshot_at(T0 + 2).status == "completed"


def test_legal_moves_table_matches_the_design() -> None:
    assert LEGAL_MOVES["queued"] == {"running", "stopped"}
    assert LEGAL_MOVES["awaiting_human_feedback"] == {"running", "stopped"}
    assert all(not LEGAL_MOVES[s] for s in TERMINAL)
    assert not is_legal_sequence(["queued", "completed"])
