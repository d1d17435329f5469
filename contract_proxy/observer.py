"""The proxy's judgement of live traffic: each exchange against its operation, and each
run across all its views (poll, get-by-id, list, stop, sync, SSE, webhook).

No rule is written here: every check is the contract suite's own (`contract_tests`),
called as the suite calls it; a ContractViolation becomes an entry of the ViolationLog
instead of a failed test, and the run goes on being watched. No I/O either: the proxy
(proxy.py) hands over what it relayed, after relaying it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from contract_proxy.violations import ViolationLog
from contract_tests import operation as op
from contract_tests import rules, sse
from contract_tests.agreement import require_sse_agrees, require_webhook_agrees
from contract_tests.contract import schema_errors, terminal
from contract_tests.deliveries import judge_deliveries
from contract_tests.event_log import check_stream, terminal_status
from contract_tests.exchange import Exchange
from contract_tests.history import RunHistory
from contract_tests.pages import check_page
from contract_tests.receiver import Delivery
from contract_tests.rules import ContractViolation, require

KEY_SHOWN = "$NOXUS_API_KEY"  # what evidence shows instead of the key
KEPT_RUNS = 10_000  # runs watched at most (the oldest are forgotten)
CREATES = {"createRun", "createSyncRun"}
RUN_CALLS = {"getRun", "getRunById", "stopRun", "getRunEvents"}
REPRODUCED = {"x-api-key", "content-type", "prefer", "last-event-id", "accept"}
T = TypeVar("T")

# What live traffic can show broken; the rest needs the suite's own probes.
JUDGED = frozenset(
    rule.id
    for rule in (
        rules.MISSING_KEY,
        rules.ISOLATION,
        rules.ERROR_SHAPE,
        rules.RESPONSE_SCHEMA,
        rules.DOCUMENTED_STATUS,
        rules.CONTENT_TYPE,
        rules.RESPONSE_HEADERS,
        rules.REJECTS_INVALID,
        rules.CREATED_QUEUED,
        rules.LEGAL_MOVES,
        rules.TERMINAL_FINAL,
        rules.PROGRESS,
        rules.FINISHED_AT,
        rules.OUTPUT,
        rules.OUTCOME,
        rules.STOP_FINAL,
        rules.AGREE,
        rules.SSE_FORMAT,
        rules.SSE_ORDER,
        rules.SSE_END,
        rules.SSE_RESUME,
        rules.HOOK_ONCE,
        rules.HOOK_SCHEMA,
        rules.HOOK_RETRY,
        rules.PAGES,
    )
)


def workspace_of(key: str | None) -> str | None:
    """A key's workspace, as a hash: the key itself is never kept."""
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else None


@dataclass
class Seen:
    """A request as the proxy received it, judged before it is forwarded."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names; the key replaced by KEY_SHOWN
    body: bytes
    workspace: str | None
    operation: op.Operation | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    problems: list[op.ErrorItem] = field(default_factory=list)
    terminal_before: bool = False  # the run was seen terminal before this request
    token: str | None = None  # its callback_url was rewritten to this hook token

    @property
    def operation_id(self) -> str:
        return self.operation.id if self.operation else ""

    @property
    def run_id(self) -> str | None:
        return self.path_params.get("run_id")

    def flag(self, name: str) -> bool:
        return any(k == name and v == "true" for k, v in self.query)

    @property
    def resume_after(self) -> str | None:
        etag = next((v for k, v in self.query if k == "etag"), None)
        return self.headers.get("last-event-id") or etag


@dataclass
class RunWatch:
    workspace: str | None
    workflow_id: str | None
    history: RunHistory = field(default_factory=RunHistory)
    created: Exchange | None = None
    outcome: str | None = None  # the outcome Preference-Applied says was honoured
    full_stream: sse.EventStream | None = None  # a whole stream, read from its start
    hits: list[Delivery] = field(default_factory=list)
    # each end judged once: a violation is one entry, not one per later poll
    judged_outcome: bool = False
    stopped: bool = False
    judged_sse: bool = False
    judged_hook: bool = False

    @property
    def status(self) -> str | None:
        return str(self.history.last["status"]) if self.history.views else None


class Observer:
    def __init__(self, log: ViolationLog, upstream: str) -> None:
        self.log = log
        self.upstream = upstream.rstrip("/")
        self.runs: OrderedDict[str, RunWatch] = OrderedDict()
        self._hooks: OrderedDict[str, tuple[str, str | None]] = OrderedDict()  # token -> run
        self._early: OrderedDict[str, list[Delivery]] = OrderedDict()  # before the create's answer
        # (workspace, workflow, size, total) -> ids and times seen on each page number
        self._listings: OrderedDict[tuple[Any, ...], dict[int, list[Any]]] = OrderedDict()

    # -- requests -------------------------------------------------------------------

    def seen(
        self, method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str]
    ) -> Seen:
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get("x-api-key")
        if key:
            lowered["x-api-key"] = KEY_SHOWN
        found = Seen(method, path, query, lowered, b"", workspace_of(key))
        matched = op.find(method, path)
        if matched is not None:
            found.operation, found.path_params = matched
        watch = self.runs.get(found.run_id or "")
        found.terminal_before = bool(watch and watch.status in terminal())
        return found

    def check_request(self, seen: Seen, body: bytes) -> list[op.ErrorItem]:
        seen.body = body
        if seen.operation is not None:
            seen.problems = op.request_problems(
                seen.operation, seen.path_params, seen.query, seen.headers, body
            )
        return seen.problems

    def exchange(
        self, seen: Seen, status: int, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        query = "&".join(f"{k}={v}" for k, v in seen.query)
        return Exchange(
            method=seen.method,
            url=f"{self.upstream}{seen.path}" + (f"?{query}" if query else ""),
            request_headers={k: v for k, v in seen.headers.items() if k in REPRODUCED},
            request_body=seen.body,
            status=status,
            response_headers=dict(headers),
            response_body=body,
        )

    # -- answers --------------------------------------------------------------------

    def answered(self, seen: Seen, exchange: Exchange) -> None:
        """A plain (non-SSE) exchange, after it was relayed."""
        run_id = seen.run_id
        if seen.path.startswith("/v1/") and "x-api-key" not in seen.headers:
            self._judge(
                run_id,
                require,
                rules.MISSING_KEY,
                exchange.status == 401,
                f"no X-API-Key, answered {exchange.status}",
                exchange,
            )
        if seen.operation is None:
            return
        self._judge(run_id, op.check_response, seen.operation, exchange)
        self._judge(run_id, op.require_rejected, seen.problems, exchange)
        if exchange.status >= 300 and not (
            seen.operation_id == "stopRun" and exchange.status == 409
        ):
            return
        body = exchange.json_or_none()
        name = seen.operation_id
        if name in CREATES and isinstance(body, dict) and exchange.status < 300:
            self._created(seen, exchange, body)
        elif name in RUN_CALLS and run_id:
            watch = self._watch(run_id, seen, exchange)
            if watch is None:
                return
            if name == "getRun" and not (seen.flag("output_only") or seen.flag("use_output_ids")):
                self._view(run_id, watch, exchange)
            elif name == "getRunById":
                self._by_id(run_id, watch, exchange, body)
            elif name == "stopRun":
                self._judge(
                    run_id,
                    require,
                    rules.STOP_FINAL,
                    not (seen.terminal_before and exchange.status < 300),
                    f"stop of a run seen {watch.status} answered {exchange.status}",
                    exchange,
                )
                if exchange.status < 300:
                    watch.stopped = True  # the client chose this end, not Prefer
                    self._view(run_id, watch, exchange)
        elif name == "listRuns" and isinstance(body, dict) and exchange.status == 200:
            self._listed(seen, exchange, body)

    def _watch(self, run_id: str, seen: Seen, exchange: Exchange) -> RunWatch | None:
        """The run's watch; None (after reporting) when another workspace sees it."""
        watch = self.runs.get(run_id)
        if watch is None:
            watch = self._remember(run_id, RunWatch(seen.workspace, None))
        elif watch.workspace != seen.workspace:
            self._judge(
                run_id,
                require,
                rules.ISOLATION,
                False,
                f"{seen.method} {seen.path} with another workspace's key answered "
                f"{exchange.status}, not 404",
                watch.created or exchange,
                exchange,
            )
            return None
        return watch

    def _remember(self, run_id: str, watch: RunWatch) -> RunWatch:
        self.runs[run_id] = watch
        while len(self.runs) > KEPT_RUNS:
            self.runs.popitem(last=False)
        return watch

    def _created(self, seen: Seen, exchange: Exchange, body: dict[str, Any]) -> None:
        run_id = str(body.get("id"))
        watch = self._remember(
            run_id, RunWatch(seen.workspace, seen.path_params.get("workflow_id"))
        )
        watch.created = exchange
        watch.outcome = _applied(exchange.header("preference-applied"), "outcome")
        if seen.operation_id == "createRun":
            try:
                with rules.tallied(self.log.checked):
                    watch.history = RunHistory.created(exchange)
            except ContractViolation as exc:
                self.log.add(exc, run_id)
                watch.history = RunHistory()
                self._judge(run_id, watch.history.add, exchange)
        elif not seen.flag("use_output_ids"):
            self._view(run_id, watch, exchange)
        if seen.token is not None:
            self._hooks[seen.token] = (run_id, watch.workflow_id)
            _trim(self._hooks)
            for hit in self._early.pop(seen.token, []):
                watch.hits.append(hit)
            self._judge_hooks(run_id, watch)
        self._ends(run_id, watch)

    def _view(self, run_id: str, watch: RunWatch, exchange: Exchange) -> None:
        if schema_errors("SimplifiedRun", exchange.json_or_none()):
            return  # reported by the response checks; not a view of the run
        self._judge(run_id, watch.history.add, exchange)
        self._ends(run_id, watch)

    def _by_id(self, run_id: str, watch: RunWatch, exchange: Exchange, body: Any) -> None:
        if not watch.history.views or watch.status not in terminal() or not isinstance(body, dict):
            return
        last_x, last = watch.history.views[-1]
        self._judge(
            run_id,
            require,
            rules.TERMINAL_FINAL,
            body.get("status") == last["status"]
            and body.get("finished_at") == last.get("finished_at"),
            f"GET /v1/runs/{{id}} says {body.get('status')} / {body.get('finished_at')}, "
            f"the poll said {last['status']} / {last.get('finished_at')}",
            last_x,
            exchange,
        )

    def _listed(self, seen: Seen, exchange: Exchange, body: dict[str, Any]) -> None:
        if schema_errors("PageSimplifiedRun", body):
            return  # reported by the response checks
        items = body["items"]
        for item in items:
            known = self.runs.get(str(item.get("id")))
            if known is not None and known.workspace != seen.workspace:
                self._judge(
                    str(item.get("id")),
                    require,
                    rules.ISOLATION,
                    False,
                    "another workspace's run is listed",
                    exchange,
                )
            elif known is not None:
                single = Exchange(
                    exchange.method,
                    exchange.url,
                    exchange.request_headers,
                    exchange.request_body,
                    200,
                    exchange.response_headers,
                    _dumps(item),
                )
                self._view(str(item["id"]), known, single)
        query = dict(seen.query)
        number = _int(query.get("page"), 1)
        size = _int(query.get("size") or query.get("page_size"), 50)
        listing = (seen.workspace, seen.path, size, body.get("total"))
        pages = self._listings.setdefault(listing, {})
        while len(self._listings) > KEPT_RUNS:
            self._listings.popitem(last=False)
        # Runs on the other pages of this listing (same total: nothing was created since).
        seen_ids = [i for n, ids in pages.items() if n != number for i in ids]
        times: list[datetime | None] = []
        self._judge(
            None,
            check_page,
            exchange,
            body,
            number,
            size,
            int(body.get("total") or 0),
            seen_ids,
            times,
        )
        pages[number] = [str(item.get("id")) for item in items]

    # -- SSE ------------------------------------------------------------------------

    def streamed(
        self, seen: Seen, exchange: Exchange, raw: bytes, *, ended: bool, left: bool
    ) -> None:
        """An events call relayed to its end (`ended`: the server closed it; `left`: the
        client hung up first)."""
        run_id = seen.run_id
        stream = sse.EventStream(exchange.url, exchange.request_headers, {})
        stream.status = exchange.status
        stream.content_type = exchange.header("content-type") or ""
        text = raw.decode("utf-8", errors="replace")
        sse.parse(stream, re.split(r"\r\n|\r|\n", text))
        stream.ended = ended and not left
        if exchange.status != 200 or run_id is None:
            self.answered(seen, exchange)
            return
        if seen.operation is not None:
            self._judge(run_id, op.check_response, seen.operation, exchange)
        watch = self._watch(run_id, seen, exchange)
        after = seen.resume_after
        if watch is None or (after and not stream.frames):
            return
        bodies = self._judge(run_id, check_stream, stream, whole=not left)
        if bodies is None or left:
            return
        if after is None:
            watch.full_stream = stream
            self._ends(run_id, watch)
        elif watch.full_stream is not None:
            full = watch.full_stream
            index = next((i for i, f in enumerate(full.frames) if f.id == after), None)
            if index is not None:
                expected = [f.lines for f in full.frames[index + 1 :]]
                got = [f.lines for f in stream.frames]
                self._judge(
                    run_id,
                    require,
                    rules.SSE_RESUME,
                    got == expected,
                    f"resumed after {after}: expected {len(expected)} later events, "
                    f"got {len(got)}",
                    stream.at(0),
                    full.at(index, index + 1),
                )

    # -- webhooks -------------------------------------------------------------------

    def delivered(self, token: str, delivery: Delivery) -> None:
        known = self._hooks.get(token)
        if known is None:
            self._early.setdefault(token, []).append(delivery)
            _trim(self._early)
            return
        watch = self.runs.get(known[0])
        if watch is not None:
            watch.hits.append(delivery)
            self._judge_hooks(known[0], watch)
            self._ends(known[0], watch)

    def _judge_hooks(self, run_id: str, watch: RunWatch) -> None:
        if watch.created is None or not any(d.answered < 300 for d in watch.hits):
            return
        run = {"id": run_id, "workflow_id": watch.workflow_id}
        self._judge(run_id, judge_deliveries, list(watch.hits), run, watch.created)

    # -- a run's end, as every channel tells it -----------------------------------

    def _ends(self, run_id: str, watch: RunWatch) -> None:
        if watch.status not in terminal():
            return
        status, (poll, last) = str(watch.status), watch.history.views[-1]
        if watch.outcome and watch.created and not (watch.stopped or watch.judged_outcome):
            watch.judged_outcome = True
            self._judge(
                run_id,
                require,
                rules.OUTCOME,
                watch.outcome == status,
                f"Preference-Applied says outcome={watch.outcome}, the run ended {status}",
                watch.created,
                poll,
            )
        full = watch.full_stream
        if full is not None and full.frames and not watch.judged_sse:
            bodies = [f.body() for f in full.frames]
            if all(isinstance(b, dict) for b in bodies) and "workflow_status" in bodies[-1].get(
                "data", {}
            ):
                watch.judged_sse = True
                self._judge(run_id, require_sse_agrees, status, terminal_status(bodies), poll, full)
        acknowledged = [d for d in watch.hits if d.answered < 300]
        if acknowledged and _payload_ok(acknowledged[0].raw) and not watch.judged_hook:
            watch.judged_hook = True
            outputs = last.get("output") or {}
            self._judge(run_id, require_webhook_agrees, status, outputs, poll, acknowledged[0])

    def _judge(
        self, run_id: str | None, check: Callable[..., T], *args: Any, **kw: Any
    ) -> T | None:
        try:
            with rules.tallied(self.log.checked):
                return check(*args, **kw)
        except ContractViolation as exc:
            self.log.add(exc, run_id)
            return None


def _trim(kept: OrderedDict[str, Any]) -> None:
    while len(kept) > KEPT_RUNS:
        kept.popitem(last=False)


def _applied(header: str | None, name: str) -> str | None:
    for token in (header or "").split(","):
        key, _, value = token.strip().partition("=")
        if key == name:
            return value
    return None


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() else default


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _payload_ok(raw: bytes) -> bool:
    try:
        return not schema_errors("WebhookPayload", json.loads(raw))
    except ValueError:
        return False
