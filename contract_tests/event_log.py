"""The rules on a run's SSE stream: well formed, ordered, spec-valid, ending with the end."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from contract_tests import rules
from contract_tests.contract import reachable, schema_errors, terminal
from contract_tests.rules import require
from contract_tests.sse import EventStream

_ID = re.compile(r"^(\d+)-(\d+)$")


def event_key(event_id: str | None) -> tuple[int, int] | None:
    match = _ID.match(event_id or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_stream(stream: EventStream, *, whole: bool = True) -> list[dict[str, Any]]:
    """Every frame checked; the RunEvent bodies, in order. `whole=False`: the reader left
    before the end (a proxied client hung up), so how the stream ends is not judged."""
    __tracebackhide__ = True
    require(
        rules.SSE_FORMAT,
        stream.status == 200 and stream.content_type.startswith("text/event-stream"),
        f"answered {stream.status} ({stream.content_type})",
        stream,
    )
    bodies: list[dict[str, Any]] = []
    for index, frame in enumerate(stream.frames):
        body = frame.body()
        problem = (
            "no `event: message`"
            if frame.fields.get("event") != "message"
            else "no `id`"
            if event_key(frame.id) is None
            else "`data` is not JSON"
            if body is None
            else "; ".join(schema_errors("RunEvent", body))
            or ("redisId differs from id" if body.get("redisId") != frame.id else "")
        )
        problem = problem and f"event {index} {frame.lines}: {problem}"
        require(rules.SSE_FORMAT, not problem, problem, stream.at(index))
        bodies.append(body)
    require(
        rules.SSE_FORMAT,
        not (whole and stream.unterminated),
        f"a frame without its closing blank line: {stream.unterminated}",
        stream,
    )
    _check_order(stream, bodies)
    if whole:
        _check_end(stream, bodies)
    return bodies


def _check_order(stream: EventStream, bodies: list[dict[str, Any]]) -> None:
    keys = [event_key(frame.id) for frame in stream.frames]
    for index, (before, after) in enumerate(pairwise(keys), 1):
        require(
            rules.SSE_ORDER,
            before is not None and after is not None and after > before,
            f"event {index}'s id {after} does not follow {before}",
            stream.at(index - 1, index),
        )
    states = [(i, b["data"]) for i, b in enumerate(bodies) if b["type"] == "state"]
    for (i, old), (j, new) in pairwise(states):
        moved = old["status"] == new["status"] or new["status"] in reachable(old["status"])
        require(
            rules.SSE_ORDER,
            moved and new["progress"] >= old["progress"],
            f"state {old['status']}/{old['progress']} (event {i}) -> "
            f"{new['status']}/{new['progress']} (event {j})",
            stream.at(i, j),
        )


def _check_end(stream: EventStream, bodies: list[dict[str, Any]]) -> None:
    finals = [i for i, b in enumerate(bodies) if "workflow_status" in b["data"]]
    require(
        rules.SSE_END,
        stream.ended and finals == [len(bodies) - 1] and bool(bodies),
        f"{len(bodies)} events, workflow_status at {finals}, "
        + ("closed by the server" if stream.ended else "still open when the suite gave up"),
        stream.at(*finals),
    )
    final = bodies[-1]["data"]["workflow_status"]
    require(rules.SSE_END, final in terminal(), f"workflow_status {final!r}", stream.at(-1))


def terminal_status(bodies: list[dict[str, Any]]) -> str:
    return str(bodies[-1]["data"]["workflow_status"])
