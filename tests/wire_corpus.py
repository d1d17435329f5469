"""A golden corpus of HTTP exchanges: today's observable behaviour of the mock, pinned.

Every case is one request (method, path, headers, body) with optional setup steps (create
a run and remember its id, advance the manual clock, stop a run). `record(client)` plays
them in order against one fresh in-process app and returns, per case, the status, a few
response headers and the body. `tests/golden/wire.json` holds the recording of the current
code; tests/test_wire_golden.py plays the corpus again and compares case by case, so a
rewrite of routing, security, validation or response handling must answer the same way.

    python -m tests.wire_corpus --write   # re-record tests/golden/wire.json (review the diff!)
    python -m tests.wire_corpus           # print the recording

Determinism: the app is built with a fixed seed and a ManualClock, so run ids, workspace
ids and timestamps are the same on every fresh recording; the fault draws use the seeded
rng too. No `date` header is recorded (the in-process client adds none anyway), and no
other nondeterministic value has been seen, so nothing is normalised.

Cases that would hang on a frozen clock are avoided on purpose: every sync call carries
`Prefer: duration=0s` (it would otherwise wait for a clock nobody moves), and every event
stream is of a run that is already terminal, so the stream ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from mockserver.core.workflows import BUILTIN
from mockserver.settings import EngineKind

GOLDEN = Path(__file__).resolve().parent / "golden" / "wire.json"
SEED = 20261203
HEADERS = (
    "content-type",
    "allow",
    "retry-after",
    "preference-applied",
    "www-authenticate",
    "location",
    "access-control-allow-origin",
)
TEXT_LIMIT = 2000
MIB = 1_048_576

# Ids every case may name in its path as {name}; setup steps add their runs' ids.
IDS = {
    "qa": BUILTIN[0].id,  # Question answering: input -> answer -> output
    "sum": BUILTIN[1].id,  # Summarize document
    "echo": BUILTIN[2].id,
    "gen": "0f0f0f0f-0000-4000-8000-000000000001",  # unknown: a generated workflow
    "nowhere": "11111111-1111-4111-8111-111111111111",  # no such run
}
QA_INPUT = {"User Question": "What is a golden file?"}
SYNC = ("Prefer", "duration=0s")  # so the sync call never waits on the frozen clock
JSON_CT = ("Content-Type", "application/json")
NO_BODY: Any = object()


# --- setup steps: not recorded themselves; a failure is noted on the case ---------------


@dataclass(frozen=True)
class Create:
    """POST a run of `workflow` (a key of IDS) and remember its id as {alias}."""

    alias: str
    workflow: str = "qa"
    key: str = "key-a"
    prefer: str | None = None
    body: Any = field(default_factory=lambda: {"input": QA_INPUT})

    def run(self, client: Any, ids: dict[str, str]) -> str | None:
        headers = {"X-API-Key": self.key, **({"Prefer": self.prefer} if self.prefer else {})}
        answer = client.post(
            f"/v1/workflows/{ids[self.workflow]}/runs", json=self.body, headers=headers
        )
        if answer.status_code != 200:
            ids[self.alias] = f"setup-failed-{self.alias}"
            return f"create {self.alias}: {answer.status_code}"
        ids[self.alias] = answer.json()["id"]
        return None


@dataclass(frozen=True)
class Advance:
    """Move the manual clock forward through the control API."""

    seconds: float

    def run(self, client: Any, ids: dict[str, str]) -> str | None:
        answer = client.post("/_mock/clock/advance", json={"seconds": self.seconds})
        return None if answer.status_code == 200 else f"advance: {answer.status_code}"


@dataclass(frozen=True)
class Stop:
    alias: str
    key: str = "key-a"

    def run(self, client: Any, ids: dict[str, str]) -> str | None:
        answer = client.post(f"/v1/runs/{ids[self.alias]}/stop", headers={"X-API-Key": self.key})
        return None if answer.status_code == 200 else f"stop {self.alias}: {answer.status_code}"


Step = Create | Advance | Stop


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # may name {qa}, {gen}, {nowhere} or a setup step's {alias}
    headers: tuple[tuple[str, str], ...]
    json: Any = NO_BODY  # sent with httpx's json= (application/json)
    body: bytes | None = None  # sent as is, with only the headers given
    setup: tuple[Step, ...] = ()
    # httpx upper-cases the method; True sends it exactly as written
    raw_method: bool = False
    # "spec": a served spec document, recorded as its top-level keys and `servers` only (so
    # the corpus does not change with every edit of openapi.yaml)
    view: str | None = None


CASES: list[Case] = []
_CATEGORY: dict[str, str] = {}


def case(
    category: str,
    name: str,
    method: str,
    path: str,
    *,
    key: str | None = "key-a",
    headers: tuple[tuple[str, str], ...] = (),
    json: Any = NO_BODY,
    body: bytes | None = None,
    setup: tuple[Step, ...] = (),
    raw_method: bool = False,
    view: str | None = None,
) -> None:
    assert all(c.name != name for c in CASES), f"duplicate case name {name}"
    sent = ((("X-API-Key", key),) if key is not None else ()) + headers
    CASES.append(Case(name, method, path, sent, json, body, setup, raw_method, view))
    _CATEGORY[name] = category


def categories() -> dict[str, int]:
    counts: dict[str, int] = {}
    for category in _CATEGORY.values():
        counts[category] = counts.get(category, 0) + 1
    return counts


RUNS = "/v1/workflows/{qa}/runs"
SYNC_RUNS = "/v1/workflows/{qa}/runs/sync"
BODY = {"input": QA_INPUT}

# --- valid calls of every operation -------------------------------------------------------
V = "valid"
case(V, "createRun basic", "POST", RUNS, json=BODY)
case(
    V,
    "createRun summarize workflow",
    "POST",
    "/v1/workflows/{sum}/runs",
    json={"input": {"Document": "a b c", "Style": "short"}},
)
case(V, "createRun generated workflow", "POST", "/v1/workflows/{gen}/runs", json={"input": {}})
case(V, "createRun input by node id", "POST", RUNS, json={"input": {"input": "by id"}})
case(V, "createRun input by node::input", "POST", RUNS, json={"input": {"input::input": "x"}})
case(
    V,
    "createRun every field",
    "POST",
    RUNS,
    json={
        "input": QA_INPUT,
        "node_ids": ["input", "answer"],
        "single_node_id": None,
        "group_id": "ignored",
        "workflow_version_id": "22222222-2222-4222-8222-222222222222",
        "tracing": True,
        "debugger": "dbg",
        "callback_url": None,
    },
)
case(V, "createRun single_node_id", "POST", RUNS, json={"input": {}, "single_node_id": "answer"})
case(V, "createRun node_ids empty", "POST", RUNS, json={"input": {}, "node_ids": []})
case(V, "createRun node_ids unknown (404)", "POST", RUNS, json={"input": {}, "node_ids": ["nope"]})
case(
    V,
    "createRun single_node_id unknown (404)",
    "POST",
    RUNS,
    json={"input": {}, "single_node_id": "x"},
)
case(V, "createRun huge integer echoed", "POST", RUNS, json={"input": {"n": 10**30}})
case(V, "createRun unicode input", "POST", RUNS, json={"input": {"User Question": "é ✓ 日本"}})
case(V, "createSyncRun completed", "POST", SYNC_RUNS, headers=(SYNC,), json=BODY)
case(
    V,
    "createSyncRun output_only=true",
    "POST",
    SYNC_RUNS + "?output_only=true",
    headers=(SYNC,),
    json=BODY,
)
case(
    V,
    "createSyncRun output_only=false",
    "POST",
    SYNC_RUNS + "?output_only=false",
    headers=(SYNC,),
    json=BODY,
)
case(
    V,
    "createSyncRun use_output_ids=true",
    "POST",
    SYNC_RUNS + "?use_output_ids=true",
    headers=(SYNC,),
    json=BODY,
)
case(
    V,
    "createSyncRun output_only and use_output_ids",
    "POST",
    SYNC_RUNS + "?output_only=true&use_output_ids=true",
    headers=(SYNC,),
    json=BODY,
)
case(
    V,
    "createSyncRun failed",
    "POST",
    SYNC_RUNS,
    headers=(("Prefer", "outcome=failed, duration=0s"),),
    json=BODY,
)
case(
    V,
    "createSyncRun summarize use_output_ids",
    "POST",
    "/v1/workflows/{sum}/runs/sync?use_output_ids=true",
    headers=(SYNC,),
    json={"input": {"Document": "d", "Style": "s"}},
)
case(V, "getRun queued", "GET", RUNS + "/{poll}", setup=(Create("poll"),))
case(V, "getRun queued output_only=true", "GET", RUNS + "/{poll}?output_only=true")
case(V, "getRun queued use_output_ids=true", "GET", RUNS + "/{poll}?use_output_ids=true")
case(V, "getRun running", "GET", RUNS + "/{poll}", setup=(Advance(1.0),))
case(V, "getRun completed", "GET", RUNS + "/{poll}", setup=(Advance(10.0),))
case(V, "getRun completed output_only=true", "GET", RUNS + "/{poll}?output_only=true")
case(V, "getRun completed use_output_ids=true", "GET", RUNS + "/{poll}?use_output_ids=true")
case(
    V,
    "getRun completed output_only and use_output_ids",
    "GET",
    RUNS + "/{poll}?output_only=true&use_output_ids=false",
)
case(V, "getRunById queued", "GET", "/v1/runs/{byid}", setup=(Create("byid"),))
case(V, "getRunById completed", "GET", "/v1/runs/{poll}")
case(
    V,
    "getRun failed",
    "GET",
    RUNS + "/{failed}",
    setup=(Create("failed", prefer="outcome=failed"), Advance(10.0)),
)
case(
    V,
    "getRun awaiting_human_feedback",
    "GET",
    RUNS + "/{paused}",
    setup=(Create("paused", prefer="pause_at=answer"), Advance(10.0)),
)
# listRuns in a workspace of its own, so that other cases leave its pages alone
LIST = "/v1/workflows/{qa}/runs"
LK = "key-list"
case(
    V,
    "listRuns default",
    "GET",
    LIST,
    key=LK,
    setup=(Create("l1", key=LK), Create("l2", key=LK), Advance(1.0), Create("l3", key=LK)),
)
case(V, "listRuns page=2 size=2", "GET", LIST + "?page=2&size=2", key=LK)
case(V, "listRuns page_size=1", "GET", LIST + "?page_size=1", key=LK)
case(V, "listRuns size wins over page_size", "GET", LIST + "?size=1&page_size=2", key=LK)
case(V, "listRuns page past the last", "GET", LIST + "?page=99", key=LK)
case(V, "listRuns size=100 (max)", "GET", LIST + "?size=100", key=LK)
case(V, "listRuns page=1000000 (max)", "GET", LIST + "?page=1000000", key=LK)
case(V, "listRuns of another workflow is empty", "GET", "/v1/workflows/{echo}/runs", key=LK)
case(V, "listRuns generated workflow", "GET", "/v1/workflows/{gen}/runs", key=LK)
case(V, "listRuns empty workspace", "GET", LIST, key="key-nobody")
case(V, "stopRun queued", "POST", "/v1/runs/{tostop}/stop", setup=(Create("tostop"),))
case(V, "stopRun again (409)", "POST", "/v1/runs/{tostop}/stop")
case(V, "getRun stopped", "GET", RUNS + "/{tostop}")
case(V, "stopRun completed (409)", "POST", "/v1/runs/{poll}/stop")
case(V, "stopRun failed (409)", "POST", "/v1/runs/{failed}/stop")
case(V, "stopRun paused", "POST", "/v1/runs/{paused}/stop")
case(V, "stopRun running", "POST", "/v1/runs/{r_run}/stop", setup=(Create("r_run"), Advance(1.0)))
case(V, "getRunEvents completed", "GET", "/v1/runs/{poll}/events")
case(V, "getRunEvents stopped while queued", "GET", "/v1/runs/{tostop}/events")
case(V, "getRunEvents stopped while running", "GET", "/v1/runs/{r_run}/events")
case(V, "getRunEvents failed", "GET", "/v1/runs/{failed}/events")
case(V, "getRunEvents etag=0-0 (all)", "GET", "/v1/runs/{poll}/events?etag=0-0")
case(V, "getRunEvents etag past the end", "GET", "/v1/runs/{poll}/events?etag=99999999999999-0")
case(
    V,
    "getRunEvents Last-Event-ID past the end",
    "GET",
    "/v1/runs/{poll}/events",
    headers=(("Last-Event-ID", "99999999999999-0"),),
)
case(
    V,
    "getRunEvents Last-Event-ID malformed is ignored",
    "GET",
    "/v1/runs/{poll}/events",
    headers=(("Last-Event-ID", "garbage"),),
)
case(
    V,
    "getRunEvents Last-Event-ID wins over etag",
    "GET",
    "/v1/runs/{poll}/events?etag=0-0",
    headers=(("Last-Event-ID", "99999999999999-0"),),
)
case(
    V, "getRunEvents sse_cut=2", "GET", "/v1/runs/{poll}/events", headers=(("Prefer", "sse_cut=2"),)
)
case(V, "getWorkflow question answering", "GET", "/v1/workflows/{qa}")
case(V, "getWorkflow summarize", "GET", "/v1/workflows/{sum}")
case(V, "getWorkflow generated", "GET", "/v1/workflows/{gen}")
case(V, "listNodes", "GET", "/v1/nodes")
case(V, "getMe", "GET", "/v1/admin/me")
case(V, "getMe other key", "GET", "/v1/admin/me", key="key-b")

# --- security ---------------------------------------------------------------------------
S = "security"
case(S, "getMe no key", "GET", "/v1/admin/me", key=None)
case(S, "getMe empty key", "GET", "/v1/admin/me", key="")
# ASGI header names are lower-case whatever the client sent: these two pin that too
case(
    S,
    "getMe lower-case header name",
    "GET",
    "/v1/admin/me",
    key=None,
    headers=(("x-api-key", "key-a"),),
)
case(
    S,
    "getMe upper-case header name",
    "GET",
    "/v1/admin/me",
    key=None,
    headers=(("X-API-KEY", "key-a"),),
)
case(S, "getMe key in query X-API-Key", "GET", "/v1/admin/me?X-API-Key=key-a", key=None)
case(S, "getMe key in query api_key", "GET", "/v1/admin/me?api_key=key-a", key=None)
case(
    S,
    "getMe key as bearer token",
    "GET",
    "/v1/admin/me",
    key=None,
    headers=(("Authorization", "Bearer key-a"),),
)
case(S, "getMe refused key invalid-", "GET", "/v1/admin/me", key="invalid-key")
case(S, "getMe refused key INVALID", "GET", "/v1/admin/me", key="INVALID")
case(S, "getMe key of spaces", "GET", "/v1/admin/me", key="   ")
case(S, "getMe two keys", "GET", "/v1/admin/me", headers=(("X-API-Key", "key-b"),))
case(
    S,
    "getMe refused then good key",
    "GET",
    "/v1/admin/me",
    key="invalid-1",
    headers=(("X-API-Key", "key-a"),),
)
case(S, "createRun no key", "POST", RUNS, key=None, json=BODY)
case(S, "createRun no key and bad body", "POST", RUNS, key=None, json={"nope": 1})
case(
    S, "createRun no key and bad workflow id", "POST", "/v1/workflows/xyz/runs", key=None, json=BODY
)
case(S, "createSyncRun no key", "POST", SYNC_RUNS, key=None, headers=(SYNC,), json=BODY)
case(S, "getRun no key", "GET", RUNS + "/{poll}", key=None)
case(S, "getRunById no key", "GET", "/v1/runs/{poll}", key=None)
case(S, "getRunById no key bad id", "GET", "/v1/runs/not-a-uuid", key=None)
case(S, "listRuns no key", "GET", LIST, key=None)
case(S, "listRuns no key bad page", "GET", LIST + "?page=abc", key=None)
case(S, "stopRun no key", "POST", "/v1/runs/{poll}/stop", key=None)
case(S, "getRunEvents no key", "GET", "/v1/runs/{poll}/events", key=None)
case(S, "getWorkflow no key", "GET", "/v1/workflows/{qa}", key=None)
case(S, "listNodes no key", "GET", "/v1/nodes", key=None)
case(S, "unknown /v1 path no key", "GET", "/v1/nope", key=None)
case(S, "wrong method no key", "DELETE", "/v1/admin/me", key=None)
case(S, "getRun of another workspace", "GET", RUNS + "/{poll}", key="key-b")
case(S, "getRunById of another workspace", "GET", "/v1/runs/{poll}", key="key-b")
case(S, "stopRun of another workspace", "POST", "/v1/runs/{byid}/stop", key="key-b")
case(S, "getRunById after foreign stop is untouched", "GET", "/v1/runs/{byid}")
case(S, "getRunEvents of another workspace", "GET", "/v1/runs/{poll}/events", key="key-b")

# --- query parameters -------------------------------------------------------------------
Q = "query"
case(Q, "getMe unknown param", "GET", "/v1/admin/me?foo=bar")
case(Q, "listNodes unknown param", "GET", "/v1/nodes?verbose=1")
case(Q, "listRuns unknown param", "GET", LIST + "?pagee=2", key=LK)
case(Q, "listRuns param name case", "GET", LIST + "?PAGE=2", key=LK)
case(Q, "listRuns page=abc", "GET", LIST + "?page=abc", key=LK)
case(Q, "listRuns page=0", "GET", LIST + "?page=0", key=LK)
case(Q, "listRuns page=-1", "GET", LIST + "?page=-1", key=LK)
case(Q, "listRuns page=1.5", "GET", LIST + "?page=1.5", key=LK)
case(Q, "listRuns page=1.0", "GET", LIST + "?page=1.0", key=LK)
case(Q, "listRuns page=1000001", "GET", LIST + "?page=1000001", key=LK)
case(Q, "listRuns page=+2", "GET", LIST + "?page=%2B2", key=LK)
case(Q, "listRuns page url-encoded digit", "GET", LIST + "?page=%32", key=LK)
case(Q, "listRuns page=99999999999999999999", "GET", LIST + "?page=99999999999999999999", key=LK)
case(Q, "listRuns size=100000", "GET", LIST + "?size=100000", key=LK)
case(Q, "listRuns size=0", "GET", LIST + "?size=0", key=LK)
case(Q, "listRuns page_size=0", "GET", LIST + "?page_size=0", key=LK)
case(Q, "listRuns page_size=abc", "GET", LIST + "?page_size=abc", key=LK)
case(Q, "listRuns several bad params", "GET", LIST + "?page=0&size=0&page_size=x&extra=1", key=LK)
case(Q, "listRuns repeated page", "GET", LIST + "?page=1&page=2", key=LK)
case(Q, "listRuns repeated size", "GET", LIST + "?size=1&size=2", key=LK)
case(Q, "listRuns empty page", "GET", LIST + "?page=", key=LK)
case(Q, "listRuns page without =", "GET", LIST + "?page", key=LK)
case(Q, "listRuns lone ampersands", "GET", LIST + "?&&", key=LK)
case(Q, "getRun output_only=maybe", "GET", RUNS + "/{poll}?output_only=maybe")
case(Q, "getRun output_only=True", "GET", RUNS + "/{poll}?output_only=True")
case(Q, "getRun output_only=TRUE", "GET", RUNS + "/{poll}?output_only=TRUE")
case(Q, "getRun output_only=1", "GET", RUNS + "/{poll}?output_only=1")
case(Q, "getRun output_only=0", "GET", RUNS + "/{poll}?output_only=0")
case(Q, "getRun output_only=yes", "GET", RUNS + "/{poll}?output_only=yes")
case(Q, "getRun output_only empty", "GET", RUNS + "/{poll}?output_only=")
case(Q, "getRun output_only without =", "GET", RUNS + "/{poll}?output_only")
case(Q, "getRun output_only repeated", "GET", RUNS + "/{poll}?output_only=true&output_only=false")
case(Q, "getRun use_output_ids=false", "GET", RUNS + "/{poll}?use_output_ids=false")
case(
    Q,
    "createSyncRun output_only=maybe",
    "POST",
    SYNC_RUNS + "?output_only=maybe",
    headers=(SYNC,),
    json=BODY,
)
case(Q, "createRun output_only (not its param)", "POST", RUNS + "?output_only=true", json=BODY)
case(Q, "getRunEvents etag malformed", "GET", "/v1/runs/{poll}/events?etag=abc")
case(Q, "getRunEvents etag empty", "GET", "/v1/runs/{poll}/events?etag=")
case(Q, "getRunEvents etag too long", "GET", "/v1/runs/{poll}/events?etag=" + "1" * 60 + "-0000")

# --- path parameters and routing --------------------------------------------------------
P = "path"
case(P, "getRun non-uuid run id", "GET", RUNS + "/not-a-uuid")
case(P, "getRun unknown run", "GET", RUNS + "/{nowhere}")
case(P, "getRun run of another workflow", "GET", "/v1/workflows/{echo}/runs/{poll}")
case(P, "getRun non-uuid workflow id", "GET", "/v1/workflows/xyz/runs/{poll}")
case(P, "getRun unknown workflow", "GET", "/v1/workflows/{gen}/runs/{poll}")
case(P, "getRunById non-uuid", "GET", "/v1/runs/not-a-uuid")
case(P, "getRunById unknown", "GET", "/v1/runs/{nowhere}")
case(P, "getRunById upper-case uuid", "GET", "/v1/runs/11111111-1111-4111-8111-11111111111A")
case(P, "getRunById uuid without dashes", "GET", "/v1/runs/11111111111141118111111111111111")
case(P, "getRunById uuid in braces", "GET", "/v1/runs/%7B11111111-1111-4111-8111-111111111111%7D")
case(P, "getRunById encoded space", "GET", "/v1/runs/%20{poll}")
case(P, "getRunById encoded slash", "GET", "/v1/runs/{poll}%2Fstop")
case(P, "getRunById trailing slash", "GET", "/v1/runs/{poll}/")
case(P, "stopRun non-uuid", "POST", "/v1/runs/not-a-uuid/stop")
case(P, "stopRun unknown", "POST", "/v1/runs/{nowhere}/stop")
case(P, "getRunEvents non-uuid", "GET", "/v1/runs/not-a-uuid/events")
case(P, "getRunEvents unknown", "GET", "/v1/runs/{nowhere}/events")
case(P, "getWorkflow non-uuid", "GET", "/v1/workflows/xyz")
case(P, "createRun non-uuid workflow", "POST", "/v1/workflows/xyz/runs", json=BODY)
case(P, "createRun non-uuid workflow and bad body", "POST", "/v1/workflows/xyz/runs", json={"x": 1})
case(P, "listRuns non-uuid workflow", "GET", "/v1/workflows/xyz/runs")
case(P, "getMe trailing slash", "GET", "/v1/admin/me/")
case(P, "getMe double slash inside", "GET", "/v1//admin/me")
case(P, "getMe double slash at start", "GET", "//v1/admin/me")
case(P, "getMe upper-case V1", "GET", "/V1/admin/me")
# httpx removes dot segments (RFC 3986) before sending: the app sees /v1/admin/me
case(P, "getMe dot segment", "GET", "/v1/admin/./me")
case(P, "unknown /v1 path", "GET", "/v1/nope")
case(P, "unknown /v1 deeper path", "GET", "/v1/runs/{poll}/events/more")
case(P, "/v1/ alone", "GET", "/v1/")
case(P, "/v1 without slash", "GET", "/v1")
case(P, "/v2 path", "GET", "/v2/admin/me")
case(P, "root redirects", "GET", "/", key=None)
case(P, "served openapi.json", "GET", "/openapi.json", key=None, view="spec")
case(P, "served openapi.yaml", "GET", "/openapi.yaml", key=None, view="spec")
case(P, "unknown path outside /v1", "GET", "/nope", key=None)
case(P, "/_mock unknown path", "GET", "/_mock/nope", key=None)

# --- bodies -----------------------------------------------------------------------------
B = "body"
case(B, "createRun no body no content-type", "POST", RUNS)
case(B, "createRun no body json content-type", "POST", RUNS, headers=(JSON_CT,), body=b"")
case(B, "createRun whitespace body", "POST", RUNS, headers=(JSON_CT,), body=b"  \n ")
case(B, "createRun malformed JSON", "POST", RUNS, headers=(JSON_CT,), body=b'{"input": ')
case(B, "createRun single-quoted JSON", "POST", RUNS, headers=(JSON_CT,), body=b"{'input': {}}")
case(B, "createRun trailing garbage", "POST", RUNS, headers=(JSON_CT,), body=b'{"input": {}} x')
case(
    B,
    "createRun non-UTF-8 bytes",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"User Question": "\xff\xfe"}}',
)
case(B, "createRun UTF-8 BOM", "POST", RUNS, headers=(JSON_CT,), body=b'\xef\xbb\xbf{"input": {}}')
case(
    B,
    "createRun UTF-16 body",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body='{"input": {}}'.encode("utf-16"),
)


def _nested(levels: int) -> bytes:
    """A body nesting `levels` objects in all: {"input": {"a": {"a": ... {}}}}."""
    return b'{"input": ' + b'{"a": ' * (levels - 2) + b"{}" + b"}" * (levels - 2) + b"}"


case(B, "createRun nested 32 deep (limit)", "POST", RUNS, headers=(JSON_CT,), body=_nested(32))
case(B, "createRun nested 33 deep", "POST", RUNS, headers=(JSON_CT,), body=_nested(33))
case(B, "createRun nested 40 deep", "POST", RUNS, headers=(JSON_CT,), body=_nested(40))
case(B, "createRun array 40 deep", "POST", RUNS, headers=(JSON_CT,), body=b"[" * 40 + b"]" * 40)
case(B, "createRun top-level array", "POST", RUNS, json=[BODY])
case(B, "createRun top-level string", "POST", RUNS, json="input")
case(B, "createRun top-level number", "POST", RUNS, json=42)
case(B, "createRun top-level null", "POST", RUNS, headers=(JSON_CT,), body=b"null")
case(B, "createRun empty object (missing input)", "POST", RUNS, json={})
case(B, "createRun missing input, other field", "POST", RUNS, json={"tracing": True})
case(B, "createRun extra field", "POST", RUNS, json={"input": {}, "colour": "blue"})
case(B, "createRun two extra fields and missing input", "POST", RUNS, json={"a": 1, "b": 2})
case(B, "createRun input null", "POST", RUNS, json={"input": None})
case(B, "createRun input array", "POST", RUNS, json={"input": ["q"]})
case(B, "createRun input string", "POST", RUNS, json={"input": "q"})
case(B, "createRun node_ids string", "POST", RUNS, json={"input": {}, "node_ids": "input"})
case(B, "createRun node_ids of numbers", "POST", RUNS, json={"input": {}, "node_ids": [1, 2]})
case(
    B, "createRun node_ids 101 items", "POST", RUNS, json={"input": {}, "node_ids": ["input"] * 101}
)
case(
    B, "createRun node_ids item too long", "POST", RUNS, json={"input": {}, "node_ids": ["x" * 201]}
)
case(B, "createRun node_ids null", "POST", RUNS, json={"input": {}, "node_ids": None})
case(B, "createRun single_node_id number", "POST", RUNS, json={"input": {}, "single_node_id": 5})
case(B, "createRun group_id number", "POST", RUNS, json={"input": {}, "group_id": 5})
case(
    B,
    "createRun workflow_version_id not uuid",
    "POST",
    RUNS,
    json={"input": {}, "workflow_version_id": "v1"},
)
case(
    B,
    "createRun workflow_version_id number",
    "POST",
    RUNS,
    json={"input": {}, "workflow_version_id": 1},
)
case(B, "createRun tracing string", "POST", RUNS, json={"input": {}, "tracing": "true"})
case(B, "createRun tracing number", "POST", RUNS, json={"input": {}, "tracing": 1})
case(B, "createRun tracing null", "POST", RUNS, json={"input": {}, "tracing": None})
case(B, "createRun debugger number", "POST", RUNS, json={"input": {}, "debugger": 5})
case(
    B,
    "createRun callback_url ftp",
    "POST",
    RUNS,
    json={"input": {}, "callback_url": "ftp://x.example/h"},
)
case(B, "createRun callback_url number", "POST", RUNS, json={"input": {}, "callback_url": 5})
case(B, "createRun callback_url empty", "POST", RUNS, json={"input": {}, "callback_url": ""})
case(
    B,
    "createRun callback_url not a url",
    "POST",
    RUNS,
    json={"input": {}, "callback_url": "not a url"},
)
case(
    B,
    "createRun many wrong types at once",
    "POST",
    RUNS,
    json={"input": 1, "tracing": "no", "node_ids": 3, "x": 0},
)
case(
    B,
    "createRun huge integer raw",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"n": 123456789012345678901234567890}}',
)
case(
    B,
    "createRun negative huge integer raw",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"n": -99999999999999999999}}',
)
case(B, "createRun huge float", "POST", RUNS, headers=(JSON_CT,), body=b'{"input": {"n": 1e400}}')
case(B, "createRun NaN literal", "POST", RUNS, headers=(JSON_CT,), body=b'{"input": {"n": NaN}}')
case(
    B,
    "createRun Infinity literal",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"n": -Infinity}}',
)
case(
    B,
    "createRun duplicate keys",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {}, "input": {"a": 1}}',
)
case(
    B,
    "createRun lone surrogate escape",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"q": "\\ud800"}}',
)
case(B, "createRun no content-type", "POST", RUNS, body=b'{"input": {}}')
case(B, "createRun no content-type, malformed", "POST", RUNS, body=b"{")
case(B, "createRun no content-type, missing input", "POST", RUNS, body=b'{"x": 1}')
case(B, "createSyncRun no content-type", "POST", SYNC_RUNS, headers=(SYNC,), body=b'{"input": {}}')
case(
    B,
    "createRun text/plain",
    "POST",
    RUNS,
    headers=(("Content-Type", "text/plain"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun json charset=utf-8",
    "POST",
    RUNS,
    headers=(("Content-Type", "application/json; charset=utf-8"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun json charset=latin-1",
    "POST",
    RUNS,
    headers=(("Content-Type", "application/json; charset=latin-1"),),
    body='{"input": {"q": "café"}}'.encode("latin-1"),
)
case(
    B,
    "createRun APPLICATION/JSON",
    "POST",
    RUNS,
    headers=(("Content-Type", "APPLICATION/JSON"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun Application/Json; charset=utf-8",
    "POST",
    RUNS,
    headers=(("Content-Type", "Application/Json; charset=utf-8"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun merge-patch+json",
    "POST",
    RUNS,
    headers=(("Content-Type", "application/merge-patch+json"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun vnd+json",
    "POST",
    RUNS,
    headers=(("Content-Type", "application/vnd.api+json"),),
    body=b'{"input": {}}',
)
case(
    B,
    "createRun multipart",
    "POST",
    RUNS,
    headers=(("Content-Type", "multipart/form-data; boundary=XyZ"),),
    body=b'--XyZ\r\nContent-Disposition: form-data; name="input"\r\n\r\n{}\r\n--XyZ--\r\n',
)
case(
    B,
    "createRun multipart without boundary",
    "POST",
    RUNS,
    headers=(("Content-Type", "multipart/form-data"),),
    body=b"x",
)
case(
    B,
    "createRun form-urlencoded",
    "POST",
    RUNS,
    headers=(("Content-Type", "application/x-www-form-urlencoded"),),
    body=b"input=x",
)
case(
    B,
    "createRun bad content-type syntax",
    "POST",
    RUNS,
    headers=(("Content-Type", ";;;"),),
    body=b'{"input": {}}',
)
case(B, "createSyncRun malformed JSON", "POST", SYNC_RUNS, headers=(SYNC, JSON_CT), body=b"{")
case(B, "createSyncRun missing input", "POST", SYNC_RUNS, headers=(SYNC,), json={})
case(B, "createSyncRun no body", "POST", SYNC_RUNS, headers=(SYNC,))
case(B, "getMe with a JSON body", "GET", "/v1/admin/me", json={"a": 1})
case(B, "getMe with a malformed body", "GET", "/v1/admin/me", headers=(JSON_CT,), body=b"{")
case(
    B,
    "getMe with multipart no boundary",
    "GET",
    "/v1/admin/me",
    headers=(("Content-Type", "multipart/form-data"),),
    body=b"x",
)
case(B, "getRunById with a body", "GET", "/v1/runs/{poll}", json=BODY)
case(B, "stopRun with a body", "POST", "/v1/runs/{nowhere}/stop", json={"reason": "x"})
case(
    B,
    "stopRun with a malformed body",
    "POST",
    "/v1/runs/{nowhere}/stop",
    headers=(JSON_CT,),
    body=b"{",
)

# --- methods ----------------------------------------------------------------------------
M = "method"
case(M, "HEAD getMe", "HEAD", "/v1/admin/me")
case(M, "HEAD getRunById", "HEAD", "/v1/runs/{poll}")
case(M, "HEAD unknown /v1 path", "HEAD", "/v1/nope")
case(M, "HEAD root", "HEAD", "/", key=None)
case(M, "OPTIONS getRunById", "OPTIONS", "/v1/runs/{poll}")
case(
    M,
    "OPTIONS CORS preflight",
    "OPTIONS",
    RUNS,
    key=None,
    headers=(("Origin", "http://app.example"), ("Access-Control-Request-Method", "POST")),
)
case(
    M, "GET with Origin (CORS)", "GET", "/v1/admin/me", headers=(("Origin", "http://app.example"),)
)
case(M, "PUT run", "PUT", "/v1/runs/{poll}", json=BODY)
case(M, "PATCH run", "PATCH", "/v1/runs/{poll}", json=BODY)
case(M, "DELETE run", "DELETE", "/v1/runs/{poll}")
case(M, "DELETE runs collection", "DELETE", RUNS)
case(M, "PUT runs collection", "PUT", RUNS, json=BODY)
case(M, "POST getRun path", "POST", RUNS + "/{poll}", json=BODY)
case(M, "GET sync path", "GET", SYNC_RUNS)
case(M, "GET stop path", "GET", "/v1/runs/{poll}/stop")
case(M, "POST events path", "POST", "/v1/runs/{poll}/events")
case(M, "POST getWorkflow", "POST", "/v1/workflows/{qa}", json=BODY)
case(M, "POST listNodes", "POST", "/v1/nodes", json={})
case(M, "DELETE getMe", "DELETE", "/v1/admin/me")
case(M, "TRACE getMe", "TRACE", "/v1/admin/me")
case(M, "unknown method FOO", "FOO", "/v1/admin/me")
case(M, "PUT non-uuid run", "PUT", "/v1/runs/not-a-uuid")
case(M, "lower-case get", "get", "/v1/admin/me", raw_method=True)
case(M, "lower-case post createRun", "post", RUNS, json=BODY, raw_method=True)
case(M, "mixed-case Get", "Get", "/v1/nodes", raw_method=True)
case(M, "POST control health", "POST", "/_mock/health", key=None)

# --- headers: Prefer and the limits ----------------------------------------------------
H = "header"
case(H, "Prefer duration=2s", "POST", RUNS, headers=(("Prefer", "duration=2s"),), json=BODY)
case(H, "Prefer outcome=failed", "POST", RUNS, headers=(("Prefer", "outcome=failed"),), json=BODY)
case(H, "Prefer outcome=stopped", "POST", RUNS, headers=(("Prefer", "outcome=stopped"),), json=BODY)
case(
    H,
    "Prefer respond-async ignored",
    "POST",
    RUNS,
    headers=(("Prefer", "respond-async"),),
    json=BODY,
)
case(
    H,
    "Prefer bad tokens ignored",
    "POST",
    RUNS,
    headers=(("Prefer", "outcome=bogus, duration=forever, x"),),
    json=BODY,
)
case(
    H,
    "Prefer mixed good and bad",
    "POST",
    RUNS,
    headers=(("Prefer", "respond-async, outcome=failed; duration=500ms, wait=10"),),
    json=BODY,
)
case(
    H,
    "Prefer quoted and upper-case",
    "POST",
    RUNS,
    headers=(("Prefer", 'OUTCOME="failed", Duration=1m'),),
    json=BODY,
)
case(
    H,
    "Prefer repeated header",
    "POST",
    RUNS,
    headers=(("Prefer", "outcome=failed"), ("Prefer", "duration=3s")),
    json=BODY,
)
case(
    H,
    "Prefer every create token",
    "POST",
    RUNS,
    headers=(
        (
            "Prefer",
            "queue_delay=1s, node_duration=2s, webhook_fail=1, webhook_duplicate=20,"
            " webhook_delay=1s",
        ),
    ),
    json=BODY,
)
case(H, "Prefer fail_at a node", "POST", RUNS, headers=(("Prefer", "fail_at=answer"),), json=BODY)
case(
    H,
    "Prefer fail_at an unknown node",
    "POST",
    RUNS,
    headers=(("Prefer", "fail_at=nope"),),
    json=BODY,
)
case(
    H,
    "Prefer pause_at an unselected node",
    "POST",
    RUNS,
    headers=(("Prefer", "pause_at=output"),),
    json={"input": {}, "single_node_id": "answer"},
)
case(
    H,
    "Prefer replay without cassette",
    "POST",
    RUNS,
    headers=(("Prefer", "replay=nothing"),),
    json=BODY,
)
case(H, "Prefer latency on getMe", "GET", "/v1/admin/me", headers=(("Prefer", "latency=1ms"),))
case(
    H,
    "Prefer latency on createRun",
    "POST",
    RUNS,
    headers=(("Prefer", "latency=1-2ms"),),
    json=BODY,
)
case(
    H, "Prefer fault=429 on createRun", "POST", RUNS, headers=(("Prefer", "fault=429"),), json=BODY
)
case(H, "Prefer fault=503 on getMe", "GET", "/v1/admin/me", headers=(("Prefer", "fault=503"),))
case(H, "Prefer fault=500 ignored", "GET", "/v1/admin/me", headers=(("Prefer", "fault=500"),))
case(
    H,
    "Prefer fault without key",
    "GET",
    "/v1/admin/me",
    key=None,
    headers=(("Prefer", "fault=429"),),
)
case(
    H,
    "Prefer fault with bad body",
    "POST",
    RUNS,
    headers=(("Prefer", "fault=503"),),
    json={"bad": 1},
)
case(H, "Prefer fault on unknown path", "GET", "/v1/nope", headers=(("Prefer", "fault=429"),))
case(
    H, "Prefer fault on wrong method", "DELETE", "/v1/admin/me", headers=(("Prefer", "fault=429"),)
)
case(
    H, "Prefer fault on events", "GET", "/v1/runs/{poll}/events", headers=(("Prefer", "fault=503"),)
)
case(
    H,
    "Prefer sse_cut=0",
    "GET",
    "/v1/runs/{poll}/events",
    headers=(("Prefer", "sse_cut=0, latency=1ms, outcome=failed"),),
)
case(H, "Prefer longer than 1024", "GET", "/v1/admin/me", headers=(("Prefer", "x" * 1100),))
case(
    H,
    "Last-Event-ID longer than 64",
    "GET",
    "/v1/runs/{poll}/events",
    headers=(("Last-Event-ID", "1" * 70),),
)
case(H, "Accept text/html", "GET", "/v1/admin/me", headers=(("Accept", "text/html"),))
case(
    H,
    "Accept application/xml on events",
    "GET",
    "/v1/runs/{poll}/events",
    headers=(("Accept", "application/xml"),),
)
case(H, "headers just under 16 KiB", "GET", "/v1/nodes", headers=(("X-Pad", "p" * 15_000),))
case(H, "huge header (431)", "GET", "/v1/admin/me", headers=(("X-Pad", "p" * 17_000),))
case(
    H,
    "huge header without key (431)",
    "GET",
    "/v1/admin/me",
    key=None,
    headers=(("X-Pad", "p" * 17_000),),
)
case(
    H,
    "many headers (431)",
    "GET",
    "/v1/nodes",
    headers=tuple((f"X-H{i}", "v" * 100) for i in range(200)),
)
case(
    H,
    "huge body (413)",
    "POST",
    RUNS,
    headers=(JSON_CT,),
    body=b'{"input": {"q": "' + b"x" * MIB + b'"}}',
)
case(
    H, "huge body on a GET (413)", "GET", "/v1/admin/me", headers=(JSON_CT,), body=b" " * (MIB + 1)
)
case(
    H,
    "huge body without key (413)",
    "POST",
    RUNS,
    key=None,
    headers=(JSON_CT,),
    body=b"x" * (MIB + 1),
)
case(
    H,
    "huge body on unknown path (413)",
    "POST",
    "/v1/nope",
    headers=(JSON_CT,),
    body=b"x" * (MIB + 1),
)

# --- the control API (mock only) --------------------------------------------------------
C = "control"
case(C, "health", "GET", "/_mock/health", key=None)
case(C, "clock", "GET", "/_mock/clock", key=None)
case(C, "clock of a workspace", "GET", "/_mock/clock?api_key=key-a", key=None)
case(C, "clock unknown param", "GET", "/_mock/clock?x=1", key=None)
case(C, "clock advance", "POST", "/_mock/clock/advance", key=None, json={"seconds": 2.5})
case(C, "clock advance negative", "POST", "/_mock/clock/advance", key=None, json={"seconds": -1})
case(C, "clock advance string", "POST", "/_mock/clock/advance", key=None, json={"seconds": "x"})
case(C, "clock advance missing", "POST", "/_mock/clock/advance", key=None, json={})
case(C, "workflows", "GET", "/_mock/workflows", key=None)
FK = "key-fault"
case(
    C,
    "fault rule set",
    "PUT",
    "/_mock/faults",
    key=None,
    json={
        "api_key": FK,
        "operations": ["getMe"],
        "error_rate": 1,
        "error_status": 503,
        "retry_after_s": 7,
    },
)
case(C, "fault rule answers getMe", "GET", "/v1/admin/me", key=FK)
case(C, "fault rule spares listNodes", "GET", "/v1/nodes", key=FK)
case(C, "fault rule spares other workspace", "GET", "/v1/admin/me", key="key-a")
case(
    C,
    "fault Prefer wins over rule",
    "GET",
    "/v1/admin/me",
    key=FK,
    headers=(("Prefer", "fault=429"),),
)
case(C, "fault rule list", "GET", "/_mock/faults", key=None)
case(
    C, "fault rule bad latency range", "PUT", "/_mock/faults", key=None, json={"latency_ms": [9, 1]}
)
case(C, "fault rule bad status", "PUT", "/_mock/faults", key=None, json={"error_status": 500})
case(C, "fault rule clear", "DELETE", "/_mock/faults?api_key=" + FK, key=None)
case(C, "fault rule cleared: getMe", "GET", "/v1/admin/me", key=FK)
case(C, "journal of a workspace", "GET", "/_mock/journal?api_key=" + FK + "&limit=5", key=None)
case(C, "journal limit=0", "GET", "/_mock/journal?limit=0", key=None)
case(C, "reset a workspace", "POST", "/_mock/reset", key=None, json={"api_key": LK})
case(C, "listRuns after workspace reset", "GET", LIST, key=LK)
case(C, "getRun survives another workspace's reset", "GET", "/v1/runs/{poll}")
case(C, "reset all", "POST", "/_mock/reset", key=None)
case(C, "getRunById after reset all", "GET", "/v1/runs/{poll}")
case(C, "reset with bad body", "POST", "/_mock/reset", key=None, json={"api_key": 5})
case(C, "createRun after reset", "POST", RUNS, json=BODY)


# --- playing ----------------------------------------------------------------------------


def _body_of(answer: httpx.Response, case: Case) -> Any:
    kind = answer.headers.get("content-type", "")
    media = kind.split(";")[0].strip().lower()
    if case.view == "spec" and answer.status_code == 200:
        document = yaml.safe_load(answer.content)  # JSON or YAML: the same document
        return {"keys": sorted(document), "servers": document.get("servers")}
    if media == "application/json" or media.endswith("+json"):
        try:
            return json.loads(answer.content)
        except ValueError:
            pass
    text = answer.content.decode("utf-8", errors="replace")
    if len(text) <= TEXT_LIMIT:
        return text
    # 2,000 characters of a long text (an event stream): its head and its tail, so the
    # terminal event that ends a stream is pinned too, and the full length.
    half = TEXT_LIMIT // 2
    return f"{text[:half]}\n... [{len(text)} chars in all] ...\n{text[-half:]}"


def _normalised(case: Case, path: str, headers: dict[str, str], body: Any) -> Any:
    """Replace the nondeterministic parts of an answer by fixed markers (each named here)."""
    if path.startswith("/_mock/journal") and isinstance(body, dict):
        # The journal stamps entries with the wall clock, not the simulated one.
        for entry in body.get("entries", ()):
            if isinstance(entry, dict) and "at" in entry:
                entry["at"] = "<wall clock>"
    if "allow" in headers and not path.startswith("/v1/"):
        # Outside /v1 a 405 is Starlette's, whose Allow lists a set: its order changes with
        # PYTHONHASHSEED ("GET, HEAD" or "HEAD, GET"). /v1's Allow is ours and kept as is.
        headers["allow"] = ", ".join(sorted(m.strip() for m in headers["allow"].split(",")))
    return body


def play(client: Any, case: Case, ids: dict[str, str]) -> dict[str, Any]:
    notes = [note for step in case.setup if (note := step.run(client, ids))]
    path = case.path.format(**ids)
    kwargs: dict[str, Any] = {"headers": list(case.headers)}
    if case.json is not NO_BODY:
        kwargs["json"] = case.json
    elif case.body is not None:
        kwargs["content"] = case.body
    request = client.build_request(case.method, path, **kwargs)
    if case.raw_method:
        request.method = case.method  # httpx upper-cased it; the ASGI scope takes this one
    result: dict[str, Any] = {"name": case.name}
    if notes:
        result["setup_failed"] = notes
    try:
        # not following redirects: the 307 itself is the answer to pin
        answer = client.send(request, follow_redirects=False)
    except Exception as exc:  # a crash instead of an HTTP answer is a finding: pin it
        result["exception"] = type(exc).__name__
        return result
    result["status"] = answer.status_code
    headers = {name: answer.headers[name] for name in HEADERS if name in answer.headers}
    result["body"] = _normalised(case, path, headers, _body_of(answer, case))
    result["headers"] = headers
    return result


def record(client: Any) -> list[dict[str, Any]]:
    """Play every case in order on `client` (a fresh app's test client)."""
    ids = dict(IDS)
    return [play(client, case, ids) for case in CASES]


def fresh_recording(
    record_with: Callable[[Any], list[dict[str, Any]]] = record, engine: EngineKind = "compiled"
) -> Any:
    """The corpus played on a new app: fixed seed, manual clock."""
    app = create_app(Settings(seed=SEED, engine=engine), clock=ManualClock())
    with app.test_client() as client:
        return record_with(client)


def dumps(recording: list[dict[str, Any]]) -> str:
    return json.dumps(recording, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    # Recorded from the reference engine: the golden file is what connexion answers.
    recording = fresh_recording(engine="connexion")
    if "--write" in argv:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(dumps(recording), encoding="utf-8")
        print(f"wrote {len(recording)} cases to {GOLDEN}", file=sys.stderr)
    else:
        sys.stdout.write(dumps(recording))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
