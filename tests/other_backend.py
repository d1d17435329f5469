"""A second implementation of openapi.yaml, written from the spec alone, to keep the contract
suite honest: it conforms, but differs from this project's mock wherever the spec lets it.

- Only its own workflow exists: any other workflow id is a 404 (create, sync, list, get).
- `Prefer` is ignored (it is `x-mock`); no `Preference-Applied` is ever sent.
- Run ids are uuid4; timings are random (repeatable with --seed): runs last 0.5-2 s
  (`--pace fast`) or 1.5-4 s (`--pace real`), and some runs fail on their own (`--fail-rate`).
- SSE lines end in CRLF; the stream opens with a `retry:` block and carries comments and
  more `retry:` blocks between events.
- Webhooks leave 0.1-0.6 s after the run ends, under the delivery-id header the spec's
  callback names, retried after 0.2, 0.4, 0.8, 1.6 s; now and then one is sent twice
  (at least once, the same id).
- Keys are only those given (`--api-key`); every other key is a 401.

Run: `python -m tests.other_backend --port 8123 --api-key k --api-key k2` (prints
`ready <url> <workflow id>` once it listens). Nothing here imports the mock or the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jsonschema_rs
import uvicorn
import yaml

SPEC = yaml.safe_load((Path(__file__).resolve().parent.parent / "openapi.yaml").read_text())
WORKFLOW_ID = "0b6f0a3e-5d7c-4f1e-9a55-2f3c1d9e8b71"  # its one workflow (a uuid4)
NODES = [
    ("question", "input", "Question"),
    ("think", "process", "Think"),
    ("reply", "output", "Reply"),
]
TERMINAL = {"completed", "failed", "stopped"}
MAX_BODY = 256 * 1024  # smaller than the mock's: the spec lets an implementation choose
SYNC_CAP_S = 120.0
UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
EVENT_ID = re.compile(r"^([0-9]+)-([0-9]+)$")
# run lengths (s): `brief` ends runs before a test can look twice
PACES = {"brief": (0.02, 0.05), "fast": (0.5, 2.0), "real": (1.5, 4.0)}


def _delivery_header() -> str:
    """The callback parameter marked as the delivery id, read from the spec."""
    post = SPEC["paths"]["/v1/workflows/{workflow_id}/runs"]["post"]
    hook = next(iter(post["callbacks"]["runFinished"].values()))["post"]
    return next(p["name"] for p in hook["parameters"] if p.get("x-delivery-id"))


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _json_schema(v) for k, v in node.items() if k != "nullable" and not k.startswith("x-")
    }
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


REQUEST_SCHEMA = jsonschema_rs.validator_for(
    _json_schema(SPEC["components"]["schemas"]["RunRequest"]), validate_formats=True
)
DELIVERY_HEADER = _delivery_header()


def now_iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Refused(Exception):
    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers or {}


def invalid(loc: list[Any], msg: str, kind: str) -> Refused:
    return Refused(422, [{"loc": loc, "msg": msg, "type": kind}])


@dataclass(frozen=True)
class Call:
    """One request, as every operation receives it."""

    workspace: str  # the API key, checked
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Moment:
    at: float
    status: str
    changes: list[tuple[str, str]]
    executed: list[str]
    running: list[str]
    remaining: list[str]
    error: str | None = None


@dataclass
class Run:
    id: str
    workspace: str
    group_id: str
    request: dict[str, Any]
    created_at: float
    selected: list[str]
    moments: list[Moment]
    done: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def at(self, t: float) -> Moment:
        return [m for m in self.moments if m.at <= t][-1]

    @property
    def ends_at(self) -> float:
        return self.moments[-1].at

    def events(self) -> list[tuple[str, str]]:
        """(id, JSON data) of every event of the planned moments; ids `<ms>-<seq>`."""
        out: list[tuple[str, str]] = []
        last_ms, seq = -1, 0
        for moment in self.moments:
            for kind, data in self._moment_events(moment):
                ms = int(moment.at * 1000)
                last_ms, seq = (ms, 0) if ms > last_ms else (last_ms, seq + 1)
                event_id = f"{last_ms}-{seq}"
                body = {"type": kind, "data": data, "redisId": event_id}
                out.append((event_id, json.dumps(body, separators=(",", ":"))))
        return out

    def _moment_events(self, moment: Moment) -> list[tuple[str, dict[str, Any]]]:
        events: list[tuple[str, dict[str, Any]]] = [
            ("content", {"id": node, "status": status}) for node, status in moment.changes
        ]
        events.append(
            (
                "state",
                {
                    "status": moment.status,
                    "progress": self.progress(moment),
                    "progress_details": self.details(moment),
                },
            )
        )
        if moment.status in TERMINAL:
            final = {"id": self.id, "status": moment.status, "workflow_status": moment.status}
            if moment.error:
                final["content"] = moment.error
            events.append(("content", final))
        return events

    def progress(self, moment: Moment) -> int:
        if moment.status == "completed":
            return 100
        if not self.selected:
            return 0
        return math.floor(100 * len(moment.executed) / len(self.selected))

    def details(self, moment: Moment) -> dict[str, Any]:
        skipped = [n for n, _, _ in NODES if n not in self.selected]
        per_node = {n: 100 if n in moment.executed else 0 for n, _, _ in NODES}
        return {
            "executed_nodes": list(moment.executed),
            "remaining_nodes": list(moment.remaining),
            "running_nodes": list(moment.running),
            "skipped_nodes": skipped,
            "per_node_progress": per_node,
            "run_logs": {"error": [moment.error]} if moment.error else {},
        }

    def output(self, moment: Moment, by_id: bool = False) -> dict[str, Any]:
        if moment.status != "completed":
            return {}
        question = next(iter(self.request["input"].values()), "")
        return {
            (node if by_id else label): f"Reply to {question}"
            for node, kind, label in NODES
            if kind == "output" and node in self.selected
        }

    def view(self, t: float, by_id: bool = False) -> dict[str, Any]:
        moment = self.at(t)
        return {
            "id": self.id,
            "group_id": self.group_id,
            "workflow_id": WORKFLOW_ID,
            "status": moment.status,
            "created_at": now_iso(self.created_at),
            "input": self.request["input"],
            "output": self.output(moment, by_id),
            "node_ids": self.request.get("node_ids"),
            "single_node_id": self.request.get("single_node_id"),
            "workflow_version_id": self.request.get("workflow_version_id"),
            "progress_details": self.details(moment),
            "progress": self.progress(moment),
            "finished_at": now_iso(moment.at) if moment.status in TERMINAL else None,
        }

    def stop(self, t: float) -> Moment:
        past = [m for m in self.moments if m.at <= t]
        last = past[-1]
        stopped = Moment(
            max(t, last.at + 0.001),
            "stopped",
            [(n, "stopped") for n in last.running],
            list(last.executed),
            [],
            list(last.remaining),
        )
        self.moments = [*past, stopped]
        self.changed.set()
        return stopped


class Backend:
    def __init__(self, keys: list[str], seed: int | None, pace: str, fail_rate: float) -> None:
        # seed None: timings from the OS's entropy and ids from uuid4, different every start
        self.random = random.Random(seed)
        self.seeded = seed is not None
        self.workspaces = {key: self.new_id() for key in keys}
        self.runs: dict[str, Run] = {}
        self.pace = PACES[pace]
        self.fail_rate = fail_rate
        self.hooks: httpx.AsyncClient | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    # ---- ASGI
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.hooks = httpx.AsyncClient(timeout=3)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    for task in self.tasks:
                        task.cancel()
                    if self.hooks:
                        await self.hooks.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _json(send, 413, {"detail": f"Request body exceeds {MAX_BODY} bytes"})
                return
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        try:
            await self.route(scope["method"], scope["path"], headers, dict(query), body, send)
        except Refused as refused:
            await _json(send, refused.status, {"detail": refused.detail}, refused.headers)

    async def route(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, str],
        body: bytes,
        send: Any,
    ) -> None:
        for pattern, methods in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if method not in methods:
                allow = ", ".join(sorted(methods))
                raise Refused(405, f"Method {method} not allowed; use {allow}", {"Allow": allow})
            workspace = self.authorised(headers)
            params = match.groupdict()
            for name, value in params.items():
                if name == "node_id":  # a node's id, not a uuid (the spec: a string)
                    if len(value) > 200:
                        raise invalid(["path", name], "longer than 200", "string_too_long")
                elif not UUID.match(value):
                    raise invalid(["path", name], "not a uuid", "uuid_parsing")
            call = Call(workspace, params, query, headers, body)
            if methods[method].startswith("/"):  # a path template: answered by its example
                await self.documented(send, call, methods[method], method)
                return
            handler = getattr(self, methods[method])
            await handler(send, call)
            return
        raise Refused(404, "Not Found")

    def authorised(self, headers: dict[str, str]) -> str:
        key = headers.get("x-api-key")
        if not key:
            raise Refused(401, "Missing X-API-Key header")
        if key not in self.workspaces:
            raise Refused(401, "Invalid X-API-Key")
        return key

    # ---- helpers
    def run_of(self, workspace: str, run_id: str, workflow_id: str | None = None) -> Run:
        run = self.runs.get(run_id.lower())
        if run is None or run.workspace != workspace:
            raise Refused(404, "Run not found")
        if workflow_id is not None and workflow_id.lower() != WORKFLOW_ID:
            raise Refused(404, "Run not found")
        return run

    @staticmethod
    def known(workflow_id: str) -> None:
        if workflow_id.lower() != WORKFLOW_ID:
            raise Refused(404, "Workflow not found")

    def plan(self, created: float, selected: list[str]) -> list[Moment]:
        low, high = self.pace
        total = self.random.uniform(low, high)
        fails = self.random.random() < self.fail_rate
        queue = total * self.random.uniform(0.1, 0.3)
        step = (total - queue) / max(1, len(selected))
        remaining = list(selected)
        t = created + queue
        moments = [Moment(created, "queued", [], [], [], list(remaining))]
        executed: list[str] = []
        if not selected:
            moments.append(Moment(t, "running", [], [], [], []))
            moments.append(Moment(created + total, "completed", [], [], [], []))
            return moments
        first = remaining.pop(0)
        moments.append(Moment(t, "running", [(first, "running")], [], [first], list(remaining)))
        current = first
        for index in range(len(selected)):
            t += step
            if fails and index == len(selected) - 1:
                error = f"node {current} failed on its own"
                moments.append(
                    Moment(
                        t,
                        "failed",
                        [(current, "failed")],
                        list(executed),
                        [],
                        list(remaining),
                        error,
                    )
                )
                return moments
            executed.append(current)
            if not remaining:
                moments.append(
                    Moment(t, "completed", [(current, "completed")], list(executed), [], [])
                )
                return moments
            nxt = remaining.pop(0)
            changes = [(current, "completed"), (nxt, "running")]
            moments.append(Moment(t, "running", changes, list(executed), [nxt], list(remaining)))
            current = nxt
        return moments

    def request_body(
        self, headers: dict[str, str], body: bytes, schema: Any = REQUEST_SCHEMA
    ) -> dict[str, Any]:
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise invalid(["header", "Content-Type"], "expected application/json", "content_type")
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise invalid(["body"], "not JSON", "json_invalid") from None
        errors = list(schema.iter_errors(parsed))
        if errors:
            raise Refused(
                422,
                [
                    {
                        "loc": ["body", *e.instance_path],
                        "msg": e.message,
                        "type": type(e.kind).__name__.lower(),
                    }
                    for e in errors
                ],
            )
        return parsed  # type: ignore[no-any-return]

    def new_id(self) -> str:
        if not self.seeded:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def select(self, request: dict[str, Any]) -> list[str]:
        names = [n for n, _, _ in NODES]
        if request.get("single_node_id") is not None:
            wanted = [request["single_node_id"]]
        elif request.get("node_ids") is not None:
            wanted = list(request["node_ids"])
        else:
            return names
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise Refused(404, f"Unknown node id {unknown[0]!r}")
        return [n for n in names if n in wanted]

    def create(self, call: Call) -> Run:
        request = self.request_body(call.headers, call.body)
        self.known(call.params["workflow_id"])
        workspace = call.workspace
        selected = self.select(request)
        created = time.time()
        run_id = self.new_id()
        run = Run(
            run_id,
            workspace,
            self.workspaces[workspace],
            request,
            created,
            selected,
            self.plan(created, selected),
        )
        self.runs[run_id] = run
        self._spawn(self._finish(run))
        return run

    def _spawn(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _finish(self, run: Run) -> None:
        """Mark the run done when it ends (or is stopped), then send its webhook."""
        while time.time() < run.ends_at:
            run.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.changed.wait(), max(0.0, run.ends_at - time.time()))
        run.done.set()
        url = run.request.get("callback_url")
        if url and urlsplit(url).hostname in {"127.0.0.1", "localhost"}:
            await self._deliver(run, url)

    async def _deliver(self, run: Run, url: str) -> None:
        moment = run.moments[-1]
        started = next((m.at for m in run.moments if m.status == "running"), None)
        payload = {
            "run_id": run.id,
            "workflow_id": WORKFLOW_ID,
            "status": moment.status,
            "outputs": run.output(moment),
            "error": moment.error,
            "started_at": now_iso(started) if started is not None else None,
            "completed_at": now_iso(moment.at),
            "duration_ms": round((moment.at - (started or run.created_at)) * 1000),
        }
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: str(uuid.uuid4())}
        twice = self.random.random() < 0.2
        await asyncio.sleep(self.random.uniform(0.1, 0.6))
        for delay in (0.2, 0.4, 0.8, 1.6, None):
            try:
                answer = await self.hooks.post(url, content=raw, headers=headers)  # type: ignore[union-attr]
                if answer.is_success:
                    if twice:  # at least once: the same delivery again, same id and body
                        await self.hooks.post(url, content=raw, headers=headers)  # type: ignore[union-attr]
                    return
            except httpx.HTTPError:
                pass
            if delay is None:
                return
            await asyncio.sleep(delay)

    # ---- operations
    async def create_run(self, send: Any, call: Call) -> None:
        run = self.create(call)
        await _json(send, 200, run.view(time.time()))

    async def create_sync_run(self, send: Any, call: Call) -> None:
        flags = _flags(call.query, "output_only", "use_output_ids")
        run = self.create(call)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.done.wait(), SYNC_CAP_S)
        await _json(send, 200, _shown(run, flags))

    async def list_runs(self, send: Any, call: Call) -> None:
        page = _integer(call.query, "page", 1, 1, 1_000_000)
        size, page_size = (
            _integer(call.query, "size", None, 1, 100),
            _integer(call.query, "page_size", 50, 1, 100),
        )
        size = size or page_size
        self.known(call.params["workflow_id"])
        mine = sorted(
            (r for r in self.runs.values() if r.workspace == call.workspace),
            key=lambda r: r.created_at,
            reverse=True,
        )
        t = time.time()
        items = [r.view(t) for r in mine[(page - 1) * size : page * size]]
        total = len(mine)
        pages = math.ceil(total / size)
        await _json(
            send, 200, {"items": items, "total": total, "page": page, "size": size, "pages": pages}
        )

    async def get_run(self, send: Any, call: Call) -> None:
        flags = _flags(call.query, "output_only", "use_output_ids")
        run = self.run_of(call.workspace, call.params["run_id"], call.params["workflow_id"])
        await _json(send, 200, _shown(run, flags))

    async def get_run_by_id(self, send: Any, call: Call) -> None:
        run = self.run_of(call.workspace, call.params["run_id"])
        view = run.view(time.time())
        keep = (
            "id",
            "group_id",
            "workflow_id",
            "workflow_version_id",
            "input",
            "node_ids",
            "status",
            "created_at",
            "progress",
            "finished_at",
        )
        await _json(send, 200, {k: view[k] for k in keep})

    async def stop_run(self, send: Any, call: Call) -> None:
        run = self.run_of(call.workspace, call.params["run_id"])
        t = time.time()
        status = run.at(t).status
        if status in TERMINAL:
            raise Refused(409, f"Run is already {status} and cannot be stopped")
        run.stop(t)
        await _json(send, 200, run.view(time.time() + 0.002))

    async def get_run_events(self, send: Any, call: Call) -> None:
        etag = call.query.get("etag")
        if etag is not None and (not EVENT_ID.match(etag) or len(etag) > 64):
            raise invalid(["query", "etag"], "not an event id", "string_pattern_mismatch")
        last = call.headers.get("last-event-id")
        if last is not None and len(last) > 64:
            raise invalid(["header", "Last-Event-ID"], "longer than 64", "string_too_long")
        run = self.run_of(call.workspace, call.params["run_id"])
        position = _event_key(last) or _event_key(etag)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        await _chunk(send, "retry: 3000\r\n\r\n: events of run " + run.id + "\r\n")
        sent = 0
        while True:
            t = time.time()
            released = [e for e, m in zip(run.events(), _event_moments(run), strict=True) if m <= t]
            fresh = [e for e in released[sent:] if position is None or _event_key(e[0]) > position]  # type: ignore[operator]
            sent = len(released)
            for event_id, data in fresh:
                frame = f"event: message\r\nid: {event_id}\r\ndata: {data}\r\n\r\n"
                if self.random.random() < 0.3:
                    frame += "retry: 2500\r\n\r\n: between events\r\n"
                await _chunk(send, frame)
            if run.at(t).status in TERMINAL and sent == len(run.events()):
                break
            run.changed.clear()
            upcoming = [m for m in _event_moments(run) if m > t]
            wait = min(1.0, (upcoming[0] - t) if upcoming else 1.0)
            try:
                await asyncio.wait_for(run.changed.wait(), max(0.005, wait))
            except TimeoutError:
                await _chunk(send, ": keep-alive\r\n")
        await send({"type": "http.response.body", "body": b""})

    async def get_workflow(self, send: Any, call: Call) -> None:
        self.known(call.params["workflow_id"])
        nodes = [{"id": n, "type": kind, "label": label} for n, kind, label in NODES]
        edges = [{"from": a[0], "to": b[0]} for a, b in itertools.pairwise(NODES)]
        await _json(
            send,
            200,
            {
                "id": WORKFLOW_ID,
                "group_id": self.workspaces[call.workspace],
                "name": "Reply",
                "type": "flow",
                "definition": {"nodes": nodes, "edges": edges},
                "saved": True,
            },
        )

    # ---- the SDK's calls beyond the run lifecycle: checked as the spec says, answered
    # with its example (this backend saves no workflow, version or bundle of its own)
    async def documented(self, send: Any, call: Call, template: str, method: str) -> None:
        item = SPEC["paths"][template]
        operation = item[method.lower()]
        for param in map(_resolved, [*item.get("parameters", []), *operation["parameters"]]):
            if param["in"] == "query" and param["name"] in call.query:
                value = _coerced(param, call.query[param["name"]])
                errors = list(_validator(param["schema"]).iter_errors(value))
                if errors:
                    raise invalid(["query", param["name"]], errors[0].message, "value_error")
        if "requestBody" in operation:
            body = _resolved(operation["requestBody"])["content"]["application/json"]
            self.request_body(call.headers, call.body, _validator(body["schema"]))
        if "run_id" in call.params:
            self.run_of(call.workspace, call.params["run_id"])
        if "workflow_id" in call.params:
            self.known(call.params["workflow_id"])
        if "version_id" in call.params:
            raise Refused(404, "Version not found")  # none is ever saved here
        media, content = next(iter(operation["responses"]["200"]["content"].items()))
        if media == "application/json":
            await _json(send, 200, content["example"])
            return
        raw = str(content["example"]).encode()
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(raw)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    async def list_nodes(self, send: Any, call: Call) -> None:
        await _json(send, 200, [])

    async def get_me(self, send: Any, call: Call) -> None:
        await _json(
            send,
            200,
            {
                "id": self.workspaces[call.workspace],
                "name": "other backend key",
                "tenant_admin": False,
                "value": "****",
                "permissions": [],
            },
        )


ROUTES = [
    # literal segments before the ids they would otherwise match
    (re.compile(r"^/v1/runs/search$"), {"POST": "/v1/runs/search"}),
    (re.compile(r"^/v1/runs/bulk/delete$"), {"POST": "/v1/runs/bulk/delete"}),
    (re.compile(r"^/v1/workflows/import$"), {"POST": "/v1/workflows/import"}),
    (re.compile(r"^/v1/workflows$"), {"GET": "/v1/workflows", "POST": "/v1/workflows"}),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/runs$"),
        {"POST": "create_run", "GET": "list_runs"},
    ),
    (re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/runs/sync$"), {"POST": "create_sync_run"}),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/runs/(?P<run_id>[^/]+)$"),
        {"GET": "get_run"},
    ),
    (
        re.compile(r"^/v1/runs/(?P<run_id>[^/]+)$"),
        {"GET": "get_run_by_id", "DELETE": "/v1/runs/{run_id}"},
    ),
    (re.compile(r"^/v1/runs/(?P<run_id>[^/]+)/data$"), {"GET": "/v1/runs/{run_id}/data"}),
    (
        re.compile(r"^/v1/runs/(?P<run_id>[^/]+)/io/(?P<node_id>[^/]+)$"),
        {"GET": "/v1/runs/{run_id}/io/{node_id}"},
    ),
    (re.compile(r"^/v1/runs/(?P<run_id>[^/]+)/events$"), {"GET": "get_run_events"}),
    (re.compile(r"^/v1/runs/(?P<run_id>[^/]+)/stop$"), {"POST": "stop_run"}),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)$"),
        {
            "GET": "get_workflow",
            "PATCH": "/v1/workflows/{workflow_id}",
            "DELETE": "/v1/workflows/{workflow_id}",
        },
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/versions$"),
        {
            "GET": "/v1/workflows/{workflow_id}/versions",
            "POST": "/v1/workflows/{workflow_id}/versions",
        },
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/versions/(?P<version_id>[^/]+)$"),
        {"PATCH": "/v1/workflows/{workflow_id}/versions/{version_id}"},
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/logs$"),
        {"GET": "/v1/workflows/{workflow_id}/logs"},
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/logs/columns$"),
        {"GET": "/v1/workflows/{workflow_id}/logs/columns"},
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/export/preview$"),
        {"GET": "/v1/workflows/{workflow_id}/export/preview"},
    ),
    (
        re.compile(r"^/v1/workflows/(?P<workflow_id>[^/]+)/export$"),
        {"POST": "/v1/workflows/{workflow_id}/export"},
    ),
    (re.compile(r"^/v1/nodes$"), {"GET": "list_nodes"}),
    (re.compile(r"^/v1/admin/me$"), {"GET": "get_me"}),
]


def _resolved(node: Any) -> Any:
    """A parameter or request body, its `$ref` (within the spec) followed."""
    while isinstance(node, dict) and "$ref" in node:
        found: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            found = found[part]
        node = found
    return node


_VALIDATORS: dict[int, Any] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """A schema of the spec compiled once; its `#/components/...` refs resolve in the spec."""
    if id(schema) not in _VALIDATORS:
        rooted = {**_json_schema(schema), "components": _json_schema(SPEC["components"])}
        _VALIDATORS[id(schema)] = jsonschema_rs.validator_for(rooted, validate_formats=True)
    return _VALIDATORS[id(schema)]


def _coerced(param: dict[str, Any], raw: str) -> Any:
    """A query value read as its schema's type says (a value that does not convert stays
    text, for the schema to refuse)."""
    kind = _resolved(param["schema"]).get("type")
    if kind == "integer":
        with contextlib.suppress(ValueError):
            return int(raw)
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _event_moments(run: Run) -> list[float]:
    """The moment time of each event, aligned with run.events()."""
    return [m.at for m in run.moments for _ in run._moment_events(m)]


def _event_key(value: str | None) -> tuple[int, int] | None:
    match = EVENT_ID.match(value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _flags(query: dict[str, str], *names: str) -> dict[str, bool]:
    flags = {}
    for name in names:
        value = query.get(name, "false")
        if value not in {"true", "false"}:
            raise invalid(["query", name], "not a boolean", "bool_parsing")
        flags[name] = value == "true"
    return flags


def _integer(query: dict[str, str], name: str, default: int | None, low: int, high: int) -> Any:
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError:
        raise invalid(["query", name], "not an integer", "int_parsing") from None
    if not low <= value <= high:
        raise invalid(["query", name], f"not in {low}..{high}", "range")
    return value


def _shown(run: Run, flags: dict[str, bool]) -> dict[str, Any]:
    view = run.view(time.time(), by_id=flags["use_output_ids"])
    if flags["output_only"]:
        return {"id": view["id"], "status": view["status"], "output": view["output"]}
    return view


async def _json(send: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    raw = json.dumps(body).encode()
    pairs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    pairs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body", "body": raw})


async def _chunk(send: Any, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


def main() -> None:
    parser = argparse.ArgumentParser(prog="other-backend", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", action="append", required=True)
    parser.add_argument(
        "--seed", type=int, default=None, help="repeatable timings and ids (default: random)"
    )
    parser.add_argument("--pace", choices=sorted(PACES), default="fast")
    parser.add_argument("--fail-rate", type=float, default=0.15)
    args = parser.parse_args()
    backend = Backend(args.api_key, args.seed, args.pace, args.fail_rate)
    config = uvicorn.Config(
        backend, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        print(f"ready http://127.0.0.1:{args.port} {WORKFLOW_ID}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
