"""The rules the suite checks, each with a stable id that failures and JUnit reports name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    text: str


class Evidence(Protocol):
    def describe(self) -> str: ...

    def curl(self) -> str | None: ...


class ContractViolation(AssertionError):
    """A broken rule, with what broke it and how to reproduce it."""

    def __init__(self, rule: Rule, problem: str, evidence: Sequence[Evidence]) -> None:
        self.rule = rule
        lines = [f"[{rule.id}] {rule.text}", f"problem: {problem}"]
        for number, item in enumerate(evidence, 1):
            lines.append(f"evidence #{number}:")
            lines += ["    " + line for line in item.describe().splitlines()]
        curls = [c for c in (item.curl() for item in evidence) if c]
        if curls:
            lines.append("reproduce:")
            lines += ["    " + c for c in curls]
        super().__init__("\n".join(lines))


def require(rule: Rule, ok: bool, problem: str, *evidence: Evidence) -> None:
    """Raise a ContractViolation of `rule` unless `ok`."""
    __tracebackhide__ = True
    if not ok:
        raise ContractViolation(rule, problem, evidence)


def R(rule_id: str, text: str) -> Rule:  # short: it reads as a table below
    return Rule(rule_id, text)


KEY_ACCEPTED = R("auth.key-accepted", "the given API key gets 2xx answers")
MISSING_KEY = R("auth.missing-key", "every /v1 operation answers 401 {detail} without X-API-Key")
WRONG_KEY = R("auth.wrong-key", "every /v1 operation answers 401 {detail} to a refused key")
ISOLATION = R("auth.isolation", "a run created under key A is invisible (404) to key B")
LINKS = R("stateful.links", "the spec's links from create lead to answered (2xx) calls")
SOME_2XX = R("conformance.some-2xx", "a conformance run that saw no 2xx at all fails")
ERROR_SHAPE = R("conformance.validation-error", "a 422 body is {detail: [{loc, msg, type}, ...]}")
RESPONSE_SCHEMA = R("spec.response-schema", "every body matches its schema in openapi.yaml")
CREATED_QUEUED = R("lifecycle.created-queued", "a new run is answered with status queued")
LEGAL_MOVES = R("lifecycle.legal-transitions", "observed statuses follow the legal moves")
TERMINAL_FINAL = R("lifecycle.terminal-final", "a terminal run never changes again")
PROGRESS = R(
    "lifecycle.progress", "progress is an integer 0..100, never decreases, 100 at completed"
)
FINISHED_AT = R("lifecycle.finished-at", "finished_at is set exactly when terminal, >= created_at")
OUTPUT = R("lifecycle.output", "output is {} (or null) before completed and present at completed")
ENDS = R("lifecycle.ends", "a run reaches a terminal status within --run-timeout")
OUTCOME = R("lifecycle.prefer-outcome", "an honoured `Prefer: outcome=X` ends the run in X")
STOP_LIVE = R("stop.non-terminal", "stopping a non-terminal run makes it stopped, for good")
STOP_FINAL = R(
    "stop.terminal-refused", "stopping a terminal run is 409 {detail} and changes nothing"
)
AGREE = R("channels.agree", "poll, SSE and webhook agree on the terminal status and output")
SSE_FORMAT = R("sse.well-formed", "SSE frames are `event: message`, `id`, JSON `data` = RunEvent")
SSE_ORDER = R("sse.ordered", "event ids strictly increase; states move legally, progress rises")
SSE_END = R("sse.terminal-event", "the stream ends right after the event carrying workflow_status")
SSE_RESUME = R("sse.resume", "resuming after an event id yields exactly the later events")
HOOK_ONCE = R("webhook.exactly-once", "exactly one acknowledged webhook per terminal run")
HOOK_SCHEMA = R("webhook.payload", "the webhook body is a WebhookPayload for this run")
HOOK_RETRY = R("webhook.retry", "a refused delivery is retried with the same delivery id")
PAGES = R("list.pagination", "pages are consistent: total, pages, size bound, no run twice")
