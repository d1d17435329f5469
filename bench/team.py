"""`python -m bench.team` (`make bench-team`): a team mock's throughput, 1 vs N replicas.

In one run, round-robin: the in-memory mock (the baseline), one replica over Redis, and N
replicas over the same Redis with one wrk per replica at once (their successful requests
summed). Every figure is a median of the rounds; ratios are to the baseline of the same
run. One redis-server, started here on a free 127.0.0.1 port and stopped by its PID.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench import wrk
from bench.run import CREATE, RESULTS, ROOM, _creates, _send, poll
from bench.servers import Server, Target, ours
from mockserver.process import running_redis


def _load_all(servers: Sequence[Server], request: Any, seconds: float, scratch: Path) -> float:
    """Successful requests per second, all servers loaded at once (one wrk each)."""

    def one(i: int, server: Server, req: Any) -> wrk.Result:
        url = f"http://127.0.0.1:{server.port}"
        script = str(scratch / f"team-{i}.lua")
        return wrk.run(url, req, seconds=seconds, script_path=script, connections=32)

    requests = [request(server) for server in servers]
    with ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(one, range(len(servers)), servers, requests))
    return sum(r.rps for r in results)


def _measure(
    servers: Sequence[Server], seconds: float, warmup: float, scratch: Path
) -> dict[str, float]:
    for server in servers:
        server.wait_ready(_creates)
    # Each replica polls a run created through another: the state really is shared.
    run_id = _send(servers[0].port, CREATE)["id"]
    _send(servers[-1].port, poll(run_id))

    def polling(_server: Server) -> wrk.Request:
        return poll(run_id)

    def creating(_server: Server) -> wrk.Request:
        return CREATE

    _load_all(servers, polling, warmup, scratch)
    return {
        "poll_rps": _load_all(servers, polling, seconds, scratch),
        "create_rps": _load_all(servers, creating, seconds, scratch),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.team", description=__doc__)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / f"logs-team-{stamp}"
    logs.mkdir()
    load_before = os.getloadavg()
    seen: dict[str, list[dict[str, float]]] = {"memory": [], "redis-1": [], "redis-n": []}
    with running_redis() as server, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        shared = Target("ours-redis", ours("--state", server.url))
        plans = {
            "memory": [Target("ours", ours())],
            "redis-1": [shared],
            "redis-n": [shared] * args.replicas,
        }
        for r in range(args.rounds):
            order = list(plans)[r % 3 :] + list(plans)[: r % 3]
            for name in order:
                redis.Redis.from_url(server.url).flushdb()
                with ExitStack() as stack:
                    servers = [stack.enter_context(Server(t, logs, env=ROOM)) for t in plans[name]]
                    figures = _measure(servers, args.seconds, args.warmup, scratch)
                seen[name].append(figures)
                print(
                    f"  round {r + 1} {name}: poll {figures['poll_rps']:.0f}/s,"
                    f" create {figures['create_rps']:.0f}/s",
                    flush=True,
                )
    medians = {
        name: {k: statistics.median(f[k] for f in rounds) for k in ("poll_rps", "create_rps")}
        for name, rounds in seen.items()
    }
    base = medians["memory"]
    ratios = {
        name: {k: m[k] / base[k] for k in m} for name, m in medians.items() if name != "memory"
    }
    results = {
        "when": stamp,
        "replicas": args.replicas,
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before},
        "rounds": seen,
        "medians": medians,
        "ratio_to_memory": ratios,
        "finished": time.time(),
    }
    (RESULTS / f"team-{stamp}.json").write_text(json.dumps(results, indent=2))
    print("\n| setup | create rps | poll rps | create vs memory | poll vs memory |")
    print("|---|---|---|---|---|")
    for name, label in (
        ("memory", "1 mock, in memory (baseline)"),
        ("redis-1", "1 replica over Redis"),
        ("redis-n", f"{args.replicas} replicas over one Redis"),
    ):
        m, ratio = medians[name], ratios.get(name, {"create_rps": 1.0, "poll_rps": 1.0})
        print(
            f"| {label} | {m['create_rps']:.0f} | {m['poll_rps']:.0f} |"
            f" {ratio['create_rps']:.2f}x | {ratio['poll_rps']:.2f}x |"
        )
    print(f"\nload average before: {load_before[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
