"""`python -m bench`: throughput, latency, cold start and memory, then the scale figures.

Round-robin over the servers, a fresh server per round, medians with min-max. Prints a
Markdown table and writes everything as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, seeder, streams, wrk
from bench.servers import PRISM, ROOT, TARGETS, Server, Target, call, ours

WORKFLOW = "239baa8b-4361-5782-9277-a817111bd274"
KEY = "bench-key"
BODY = json.dumps({"input": {"User Question": "What is machine learning?"}})
CREATE = wrk.Request(
    "POST",
    f"/v1/workflows/{WORKFLOW}/runs",
    (("Content-Type", "application/json"), ("X-API-Key", KEY)),
    BODY,
)
RESULTS = ROOT / "bench" / "results"
# Room for every run a throughput round creates: at over 2,000 creates a second the
# default cap (10,000 unfinished runs) is reached within the round and the mock answers
# 503 as documented, which measures the cap, not the serving.
ROOM = {"MOCKSERVER_MAX_RUNS": "1000000"}


def poll(run_id: str) -> wrk.Request:
    return wrk.Request("GET", f"/v1/workflows/{WORKFLOW}/runs/{run_id}", (("X-API-Key", KEY),))


@dataclass(frozen=True, slots=True)
class Plan:
    rounds: int = 3
    seconds: float = 10.0
    warmup_s: float = 3.0
    cold_starts: int = 5
    streams: int = 1000
    stored_runs: int = 100_000
    targets: tuple[str, ...] = ("ours", "prism", "ceiling")
    scale: bool = True


QUICK = Plan(seconds=4.0, warmup_s=1.0, stored_runs=20_000)


def _send(port: int, request: wrk.Request) -> Any:
    answer = call(
        port, request.method, request.path, headers=dict(request.headers), body=request.body
    )
    if not 200 <= answer.status < 300:
        raise RuntimeError(f"{request.method} {request.path} -> {answer.status}: {answer.body!r}")
    return json.loads(answer.body)


def _creates(port: int) -> bool:
    """The readiness (and cold start) probe: the first 2xx on create-run.

    Its own key, so the probe's runs never sit in the measured workspace.
    """
    headers = {"Content-Type": "application/json", "X-API-Key": "bench-probe"}
    return 200 <= call(port, "POST", CREATE.path, headers=headers, body=BODY).status < 300


def _load(server: Server, request: wrk.Request, seconds: float, scratch: Path) -> wrk.Result:
    return wrk.run(
        f"http://127.0.0.1:{server.port}",
        request,
        seconds=seconds,
        script_path=str(scratch / "load.lua"),
    )


def _rotated(names: Sequence[str], by: int) -> list[str]:
    """Round r starts with a different server, so no one always runs first or last."""
    by %= len(names)
    return [*names[by:], *names[:by]]


def throughput(plan: Plan, logs: Path, scratch: Path) -> dict[str, list[dict[str, Any]]]:
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in plan.targets}
    for r in range(plan.rounds):
        for name in _rotated(plan.targets, r):
            with Server(TARGETS[name], logs, env=ROOM if name == "ours" else None) as server:
                server.wait_ready(_creates)
                get = poll(_send(server.port, CREATE)["id"])
                _send(server.port, get)  # a 2xx before any load, or stop here
                _load(server, get, plan.warmup_s, scratch)
                _load(server, CREATE, plan.warmup_s, scratch)
                got = _load(server, get, plan.seconds, scratch)
                made = _load(server, CREATE, plan.seconds, scratch)
                memory = server.memory_kb()
            rounds[name].append(
                {"poll": got.as_json(), "create": made.as_json(), "peak_rss_kb": memory["VmHWM"]}
            )
            print(f"  round {r + 1} {name}: poll {got.rps:.0f}/s, create {made.rps:.0f}/s")
    return rounds


def cold_starts(plan: Plan, logs: Path) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {name: [] for name in plan.targets}
    for i in range(plan.cold_starts):
        for name in _rotated(plan.targets, i):
            with Server(TARGETS[name], logs) as server:
                seen[name].append(server.wait_ready(_creates))
    return seen


def sse_streams(plan: Plan, logs: Path) -> dict[str, Any]:
    """N streams held at once on a manual clock (so none ends), and the mock's memory."""
    manual = Target("ours-manual-clock", ours("--clock", "manual"))
    with Server(manual, logs) as server:
        server.wait_ready(_creates)
        run_ids = [_send(server.port, CREATE)["id"] for _ in range(min(plan.streams, 100))]
        before = server.memory_kb()["VmRSS"]
        paths = [f"/v1/runs/{run_ids[i % len(run_ids)]}/events" for i in range(plan.streams)]
        during: dict[str, int] = {}
        held = streams.hold(
            server.port, paths, KEY, hold_s=2.0, on_held=lambda: during.update(server.memory_kb())
        )
        after_ok = call(server.port, "GET", "/_mock/health").status == 200
    return {
        **asdict(held),
        "rss_before_mb": before / 1024,
        "rss_held_mb": during.get("VmRSS", 0) / 1024,
        "kb_per_stream": (during.get("VmRSS", 0) - before) / max(held.opened, 1),
        "serving_after": after_ok,
    }


def stored_runs(plan: Plan, logs: Path, scratch: Path) -> dict[str, Any]:
    """Poll latency on a store of 1 run against one of `plan.stored_runs`, round-robin."""
    target = TARGETS["ours"]
    # Room for the whole store: the mock's default cap (10,000) would evict the runs.
    room = {"MOCKSERVER_MAX_RUNS": str(plan.stored_runs + 1000)}
    with Server(target, logs, env=room) as one, Server(target, logs, env=room) as many:
        ids: dict[str, str] = {}
        for label, server in (("one", one), ("many", many)):
            server.wait_ready(_creates)
            ids[label] = _send(server.port, CREATE)["id"]
            _load(server, poll(ids[label]), plan.warmup_s, scratch)
        before = many.memory_kb()["VmRSS"]
        began = time.perf_counter()
        failed = seeder.seed(many.port, CREATE, plan.stored_runs - 1)
        seed_s = time.perf_counter() - began
        listing = _send(many.port, wrk.Request("GET", CREATE.path + "?size=1", CREATE.headers))
        after = many.memory_kb()["VmRSS"]
        servers = {"one": one, "many": many}
        polls: dict[str, list[dict[str, Any]]] = {"one": [], "many": []}
        for r in range(plan.rounds):
            for label in _rotated(["one", "many"], r):
                result = _load(servers[label], poll(ids[label]), plan.seconds, scratch)
                polls[label].append(result.as_json())
        stored = {label: _count(server) for label, server in servers.items()}
    return {
        "stored": stored,
        "seed_seconds": seed_s,
        "seed_non_2xx": failed,
        "listed_total": listing["total"],
        "rss_before_mb": before / 1024,
        "rss_after_mb": after / 1024,
        "bytes_per_run": (after - before) * 1024 / max(listing["total"] - 1, 1),
        "poll": polls,
    }


def _count(server: Server) -> int:
    listing = _send(server.port, wrk.Request("GET", CREATE.path + "?size=1", CREATE.headers))
    return int(listing["total"])


def _plan(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter loads, 20k stored runs")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=float, help="load per route per round")
    parser.add_argument("--warmup", type=float, dest="warmup_s")
    parser.add_argument("--cold-starts", type=int)
    parser.add_argument("--streams", type=int, help="concurrent SSE streams (0 skips)")
    parser.add_argument("--stored-runs", type=int, help="store size for the poll test")
    parser.add_argument("--targets", help="comma-separated subset of ours,prism,ceiling")
    parser.add_argument("--no-scale", dest="scale", action="store_false", default=None)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    changes = {k: v for k, v in vars(args).items() if k != "quick" and v is not None}
    if "targets" in changes:
        changes["targets"] = tuple(t for t in changes["targets"].split(",") if t)
    return Plan(**{**asdict(plan), **changes})


def _check_tools(plan: Plan) -> None:
    missing = [] if shutil.which("wrk") else ["wrk (apt-get install wrk)"]
    if "prism" in plan.targets and not PRISM.exists():
        missing.append("Prism (npm ci --prefix bench)")
    if missing:
        raise SystemExit("missing: " + ", ".join(missing) + "; `make bench` installs them")


def _more_files() -> None:
    # Each held stream is a socket on both ends; servers inherit the raised limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _stop_on_sigterm() -> None:
    """`timeout` sends SIGTERM: leave through the context managers, so servers stop too."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def main(argv: Sequence[str] | None = None) -> int:
    plan = _plan(argv)
    _stop_on_sigterm()
    _check_tools(plan)
    _more_files()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / f"logs-{stamp}"
    logs.mkdir()
    load_before = os.getloadavg()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        print(f"throughput: {plan.rounds} rounds x {plan.targets}, {plan.seconds:g}s per route")
        rounds = throughput(plan, logs, scratch)
        print(f"cold start: {plan.cold_starts} x each")
        starts = cold_starts(plan, logs)
        scale: dict[str, Any] = {}
        if plan.scale and "ours" in plan.targets:
            if plan.streams:
                print(f"scale: {plan.streams} concurrent SSE streams")
                scale["sse"] = sse_streams(plan, logs)
            if plan.stored_runs:
                print(f"scale: poll with 1 vs {plan.stored_runs} stored runs")
                scale["stored_runs"] = stored_runs(plan, logs, scratch)
    results: dict[str, Any] = {
        "when": stamp,
        "plan": asdict(plan),
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
            "wall_seconds": time.perf_counter() - began,
        },
        "rounds": rounds,
        "cold_start_s": starts,
        "scale": scale,
    }
    results["summary"] = report.summary(results)
    text = report.table(results["summary"])
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "latest.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"results: {RESULTS / f'bench-{stamp}.json'}")
    return 0
