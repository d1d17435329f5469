"""The rules the suite checks, each with a stable id and the place in openapi.yaml it enforces.

Failures and JUnit reports name the rule id first, then the spec location, the problem, the
evidence and a curl line. Plain module (no pytest): other tools import the catalogue.
"""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

SPEC_FILE = "openapi.yaml"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    text: str
    # JSON pointer into openapi.yaml of the text (or extension) the rule enforces
    spec: str

    @property
    def cites(self) -> str:
        return f"{SPEC_FILE}#{self.spec}"


class Evidence(Protocol):
    def describe(self) -> str: ...

    def curl(self) -> str | None: ...


class ContractViolation(AssertionError):
    """A broken rule, with what broke it and how to reproduce it."""

    def __init__(self, rule: Rule, problem: str, evidence: Sequence[Evidence]) -> None:
        self.rule = rule
        self.problem = problem
        self.evidence = evidence
        self.lines = [f"[{rule.id}] {rule.text}", f"spec: {rule.cites}", f"problem: {problem}"]
        super().__init__(self._text())

    def add_case(self, values: str) -> None:
        """Name the generated inputs that led here (hypothesis' own report leaves them out)."""
        self.lines.insert(2, f"case: {values}")
        self.args = (self._text(),)

    def _text(self) -> str:
        lines, evidence = list(self.lines), self.evidence
        for number, item in enumerate(evidence, 1):
            lines.append(f"evidence #{number}:")
            lines += ["    " + line for line in item.describe().splitlines()]
        curls = [c for c in (item.curl() for item in evidence) if c]
        if curls:
            lines.append("reproduce:")
            lines += ["    " + c for c in curls]
        return "\n".join(lines)


_tally: ContextVar[Counter[str] | None] = ContextVar("contract_rules_tally", default=None)


@contextlib.contextmanager
def tallied(counts: Counter[str]) -> Iterator[None]:
    """Within it, every check of a rule (held or broken) counts in `counts`: a report can
    tell a rule that held from one nothing exercised."""
    token = _tally.set(counts)
    try:
        yield
    finally:
        _tally.reset(token)


def _count(rule: Rule) -> None:
    counts = _tally.get()
    if counts is not None:
        counts[rule.id] += 1


def require(rule: Rule, ok: bool, problem: str, *evidence: Evidence) -> None:
    """Raise a ContractViolation of `rule` unless `ok`: what follows needs it to hold."""
    __tracebackhide__ = True
    _count(rule)
    if not ok:
        raise ContractViolation(rule, problem, evidence)


class BrokenRules(AssertionError):
    """Every rule one test broke, root first (in catalogue order), each once."""

    def __init__(self, violations: Sequence[ContractViolation]) -> None:
        self.violations = sorted(violations, key=lambda v: ALL.index(v.rule))
        super().__init__(self.report())

    def report(self) -> str:
        heads = [f"[{v.rule.id}] {v.problem}" for v in self.violations]
        if len(heads) > 1:
            heads.append(f"({len(heads)} rules broken, root first; each in full below)")
        return "\n\n".join(["\n".join(heads), *(str(v) for v in self.violations)])


@dataclass
class Findings:
    """What one test found: the first violation of each rule. A test goes on after a rule
    that later checks do not depend on (`check`), so one report names every rule broken."""

    by_rule: dict[str, ContractViolation] = field(default_factory=dict)
    # a violation ended an example of a property: its later examples are not run
    ended: bool = False

    def add(self, violation: ContractViolation) -> bool:
        """Keep `violation` unless its rule was already found; whether it was kept."""
        if violation.rule.id in self.by_rule:
            return False
        self.by_rule[violation.rule.id] = violation
        return True

    def raise_any(self) -> None:
        __tracebackhide__ = True
        if self.by_rule:
            raise BrokenRules(list(self.by_rule.values()))


_findings: ContextVar[Findings | None] = ContextVar("contract_findings", default=None)


@contextlib.contextmanager
def collecting(findings: Findings) -> Iterator[None]:
    """Within it, `check` and `note` keep violations in `findings` instead of raising."""
    token = _findings.set(findings)
    try:
        yield
    finally:
        _findings.reset(token)


def check(rule: Rule, ok: bool, problem: str, *evidence: Evidence) -> bool:
    """Like `require`, for a rule nothing after depends on: while collecting, a violation
    is kept and the test goes on to its other rules. Whether the rule held."""
    __tracebackhide__ = True
    if _findings.get() is None:
        require(rule, ok, problem, *evidence)
        return True
    _count(rule)
    if not ok:
        note(ContractViolation(rule, problem, evidence))
    return ok


def note(violation: ContractViolation) -> None:
    """Keep `violation` with the test's findings (raise it when nothing collects)."""
    __tracebackhide__ = True
    found = _findings.get()
    if found is None:
        raise violation
    found.add(violation)


@contextlib.contextmanager
def part() -> Iterator[None]:
    """A part of a test that a violation ends, without ending the test (while collecting):
    e.g. the webhook is still judged when the SSE stream broke a rule."""
    found = _findings.get()
    if found is None:
        yield
        return
    try:
        yield
    except ContractViolation as violation:
        found.add(violation)


def shows_case(test: Callable[..., None]) -> Callable[..., None]:
    """Put under @given: a violation names the generated values (simple ones) and, while
    collecting, never reaches hypothesis: no replay of a run that may not repeat (a real
    backend's timings and ids are its own), no "Hypothesis found 2 distinct failures".
    An example that broke a rule `require` guards ends the property's examples."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        found = _findings.get()
        if found is not None and found.ended:
            return
        before = set(found.by_rule) if found is not None else set()
        simple = (str, int, float, bool, type(None))
        case = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if isinstance(v, simple))
        try:
            test(*args, **kwargs)
        except ContractViolation as exc:
            exc.add_case(case)
            if found is None:
                raise
            found.add(exc)
            found.ended = True
            before.add(exc.rule.id)
        for rule_id in set(found.by_rule if found is not None else ()) - before:
            found.by_rule[rule_id].add_case(case)  # type: ignore[union-attr]

    return wrapper


def pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) from unescaped parts: `/` and `~` are escaped."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


CREATE = pointer("paths", "/v1/workflows/{workflow_id}/runs", "post")
LIST = pointer("paths", "/v1/workflows/{workflow_id}/runs", "get")
EVENTS = pointer("paths", "/v1/runs/{run_id}/events", "get", "description")
STOP = pointer("paths", "/v1/runs/{run_id}/stop", "post")
WEBHOOK = CREATE + pointer("callbacks", "runFinished", "{$request.body#/callback_url}", "post")
KEYS = "/components/securitySchemes/APIKeyHeader/description"
RUN = "/components/schemas/SimplifiedRun/properties"

ALL: list[Rule] = []


def R(rule_id: str, text: str, spec: str) -> Rule:  # short: it reads as a table below
    rule = Rule(rule_id, text, spec)
    ALL.append(rule)
    return rule


KEY_ACCEPTED = R("auth.key-accepted", "the given API key gets 2xx answers", KEYS)
MISSING_KEY = R("auth.missing-key", "every /v1 operation answers 401 without X-API-Key", KEYS)
WRONG_KEY = R(
    "auth.wrong-key", "every /v1 operation answers 401 to a key given as --wrong-api-key", KEYS
)
ISOLATION = R(
    "auth.isolation", "key B sees none of key A's runs (404, unlisted) and cannot stop them", KEYS
)
LINKS = R(
    "stateful.links",
    "the spec's links from create lead to answered (2xx) calls",
    CREATE + "/responses/200/links",
)
SOME_2XX = R("conformance.some-2xx", "a conformance run that saw no 2xx at all fails", KEYS)
ERROR_SHAPE = R(
    "conformance.validation-error",
    "a 422 body is {detail: [{loc, msg, type}, ...]}",
    "/components/responses/ValidationError",
)
RESPONSE_SCHEMA = R(
    "spec.response-schema", "every body matches its schema in openapi.yaml", "/components/schemas"
)
NO_SERVER_ERROR = R(
    "conformance.no-server-error",
    "no request, valid or not, gets a 5xx it does not document",
    "/paths",
)
DOCUMENTED_STATUS = R(
    "conformance.documented-status",
    "every status answered is documented for its operation",
    "/paths",
)
CONTENT_TYPE = R(
    "conformance.content-type",
    "every answer has the content type its operation documents",
    "/paths",
)
RESPONSE_HEADERS = R(
    "conformance.response-headers",
    "required response headers are sent (e.g. Retry-After on 429/503)",
    "/components/headers/RetryAfter",
)
REJECTS_INVALID = R(
    "conformance.rejects-invalid",
    "a request the spec makes invalid is refused with a 4xx",
    "/components/responses/ValidationError",
)
ACCEPTS_VALID = R(
    "conformance.accepts-valid",
    "a request the spec makes valid is not refused as invalid",
    "/components/schemas/RunRequest",
)
METHODS = R("conformance.methods", "a method a path does not have is a 405 (with Allow)", "/paths")
RESOURCES = R(
    "stateful.resources", "a created run is there until stopped; an unknown one is 404", CREATE
)
UNKNOWN_RUN = R(
    "resources.unknown-run",
    "every run operation answers 404 to a run id nobody created",
    "/components/responses/NotFound/description",
)
ERROR_BODY = R(
    "errors.detail-body",
    "a 401, 404 or 409 answer is application/json {detail: string}",
    "/components/schemas/ErrorMessage",
)
DISTINCT_RUNS = R(
    "create.distinct-runs",
    "each accepted create makes a new run, with an id no other run has",
    CREATE + "/description",
)
ECHO = R(
    "create.echo",
    "a run holds the workflow_id and input its create sent",
    RUN + "/input",
)
CREATED_QUEUED = R(
    "lifecycle.created-queued", "a new run is answered with status queued", CREATE + "/description"
)
LEGAL_MOVES = R(
    "lifecycle.legal-transitions",
    "observed statuses follow the legal moves",
    "/components/schemas/RunStatus/x-transitions",
)
TERMINAL_FINAL = R(
    "lifecycle.terminal-final",
    "a terminal run never changes again",
    "/components/schemas/RunStatus/description",
)
PROGRESS = R(
    "lifecycle.progress",
    "progress is an integer 0..100, never decreases, 100 at completed",
    RUN + "/progress/description",
)
FINISHED_AT = R(
    "lifecycle.finished-at",
    "finished_at is set exactly when terminal, >= created_at",
    RUN + "/finished_at/description",
)
OUTPUT = R(
    "lifecycle.output",
    "output is {} (or null) before completed and non-empty at completed",
    RUN + "/output/description",
)
ENDS = R(
    "lifecycle.ends",
    "a run reaches a terminal status within --run-timeout",
    CREATE + "/description",
)
OUTCOME = R(
    "lifecycle.prefer-outcome",
    "an outcome that Preference-Applied says was honoured is the run's end (x-mock)",
    "/components/parameters/Prefer/description",
)
STOP_LIVE = R(
    "stop.non-terminal",
    "stopping a non-terminal run makes it stopped, for good",
    STOP + "/description",
)
STOP_FINAL = R(
    "stop.terminal-refused",
    "stopping a terminal run is 409 {detail} and changes nothing",
    STOP + "/description",
)
AGREE = R(
    "channels.agree",
    "poll, SSE and webhook agree on the terminal status and output",
    "/components/schemas/WebhookPayload/properties/outputs/description",
)
SSE_FORMAT = R(
    "sse.well-formed",
    "SSE events are `event: message`, `id`, JSON `data` = RunEvent (non-event blocks ignored)",
    EVENTS,
)
SSE_ORDER = R(
    "sse.ordered", "event ids strictly increase; states move legally, progress rises", EVENTS
)
SSE_END = R(
    "sse.terminal-event", "the stream ends right after the event carrying workflow_status", EVENTS
)
SSE_RESUME = R("sse.resume", "resuming after an event id yields exactly the later events", EVENTS)
HOOK_ONCE = R(
    "webhook.exactly-once",
    "one logical delivery per terminal run (one delivery id), acknowledged",
    WEBHOOK + "/description",
)
HOOK_SCHEMA = R(
    "webhook.payload",
    "the webhook body is a WebhookPayload for this run, with the delivery-id header",
    WEBHOOK,
)
HOOK_AFTER = R(
    "webhook.after-terminal",
    "the webhook is sent when the run becomes terminal, not before",
    WEBHOOK + "/description",
)
HOOK_RETRY = R(
    "webhook.retry",
    "a refused delivery is retried with the same delivery id and body",
    WEBHOOK + "/description",
)
PAGES = R(
    "list.pagination",
    "pages are consistent: total, pages, size bound, newest first, no run twice",
    LIST + "/description",
)

# schemathesis' checks, each judged as the suite rule it stands for
CHECKS = {
    "not_a_server_error": NO_SERVER_ERROR,
    "status_code_conformance": DOCUMENTED_STATUS,
    "content_type_conformance": CONTENT_TYPE,
    "response_headers_conformance": RESPONSE_HEADERS,
    "response_schema_conformance": RESPONSE_SCHEMA,
    "negative_data_rejection": REJECTS_INVALID,
    "positive_data_acceptance": ACCEPTS_VALID,
    "missing_required_header": REJECTS_INVALID,
    "unsupported_method": METHODS,
    "allow_header_conformance": METHODS,
    "use_after_free": RESOURCES,
    "ensure_resource_availability": RESOURCES,
}


def by_id(rule_id: str) -> Rule | None:
    return next((rule for rule in ALL if rule.id == rule_id), None)


def table() -> str:
    """The rule table of docs/contract-suite.md (tests/test_contract_rules.py keeps it in step)."""
    rows = ["| rule | checks | spec |", "|---|---|---|"]
    for rule in ALL:
        text = rule.text.replace("|", "\\|")
        rows.append(f"| `{rule.id}` | {text} | [`{rule.spec}`]({rule.cites}) |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
