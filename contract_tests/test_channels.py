"""One run, three views: polling, the SSE stream and the webhook must tell the same story.
Also: the stream's own rules, resuming it after an event id, and webhook delivery rules."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.agreement import require_sse_agrees, require_webhook_agrees
from contract_tests.api import Api, prefer
from contract_tests.budget import time_box
from contract_tests.contract import terminal
from contract_tests.deliveries import check_after_terminal, check_deliveries, require_retried
from contract_tests.event_log import check_stream, terminal_status
from contract_tests.history import RunHistory
from contract_tests.options import current
from contract_tests.receiver import Receiver
from contract_tests.rules import part, require, shows_case
from contract_tests.sse import EventStream

EFFORT = current().effort
EXAMPLES = settings(max_examples=EFFORT.lifecycle_examples)
AGREEING = time_box("channels: runs seen three ways", EFFORT.time_box_s, EFFORT.min_examples)


@EXAMPLES
@given(
    outcome=st.sampled_from([None, "completed", "failed", "stopped"]),
    refused=st.sampled_from([0, 0, 1]),  # the receiver refuses the first attempt(s)
    resume_at=st.floats(0, 1),
    by_header=st.booleans(),
)
@shows_case
def test_poll_sse_and_webhook_agree(
    api: Api,
    receiver: Receiver,
    outcome: str | None,
    refused: int,
    resume_at: float,
    by_header: bool,
) -> None:
    if not AGREEING.admit():
        return  # the time box is spent: each example waits for a whole run and its webhook
    callback_url, token = receiver.new_url(fail_first=refused)
    created = api.create(prefer=prefer(outcome, "2s"), callback_url=callback_url)
    history = RunHistory.created(created)
    live: list[EventStream] = []
    reader = threading.Thread(target=lambda: live.append(api.events(history.run_id)))
    reader.start()
    # Three parts, each judged even when another broke a rule: polls, SSE, webhook.
    status: str | None = None
    with part():
        for poll in api.poll_until_terminal(history.run_id, 0.02, terminal()):
            history.add(poll)
        status = history.require_terminal()
    reader.join(api.timeout + 5)
    poll_x = history.views[-1][0]
    stream: EventStream | None = None
    with part():
        require(rules.SSE_END, bool(live), "the live stream did not end within --run-timeout")
        stream = live[0]
        bodies = check_stream(stream)
        if status is not None:
            require_sse_agrees(status, terminal_status(bodies), poll_x, stream)
    with part():
        # when it came, before judging how: a webhook sent at create time is its own defect
        receiver.wait_for(token, 1, api.timeout)
        later = api.run_by_id(history.run_id)  # a view surely taken after the first attempt
        views = [*history.views, (later, later.json_or_none() or {})]
        check_after_terminal(receiver.deliveries(token), views)
        delivery = check_deliveries(receiver, token, history.last, created, api.timeout)
        if refused:
            require_retried(receiver.deliveries(token), refused, created)
        if status is not None:
            require_webhook_agrees(status, history.last.get("output") or {}, poll_x, delivery)
    if stream is None or not stream.frames:
        return
    # Resume strictly after one event: exactly the later ones, byte for byte.
    index = min(int(resume_at * len(stream.frames)), len(stream.frames) - 1)
    after = stream.frames[index].id
    resumed = api.events(
        history.run_id,
        last_event_id=after if by_header else None,
        etag=None if by_header else after,
    )
    if index < len(stream.frames) - 1:
        check_stream(resumed)
    expected = [f.lines for f in stream.frames[index + 1 :]]
    got = [f.lines for f in resumed.frames]
    require(
        rules.SSE_RESUME,
        got == expected,
        f"resumed after {after} ({'Last-Event-ID' if by_header else 'etag'}): "
        f"expected {len(expected)} later events, got {len(got)}",
        resumed.at(0),
        stream.at(index, index + 1),
    )
