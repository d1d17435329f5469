"""`python -m bench.team` (`make bench-team`): a team mock's throughput, 1 vs N replicas.

In one run, round-robin: the in-memory mock (the baseline), one replica over Redis, and N
replicas over the same Redis with one wrk per replica at once (their successful requests
summed). Every figure is a median of the rounds; ratios are to the baseline of the same
run. One redis-server, started here on a free 127.0.0.1 port and stopped by its PID.

Over Redis, the server counts what it was sent (bench/commandstats.py), everything the
replicas sent meanwhile (journal batches, webhook dispatcher) included: commands per call
under load, and commands and round trips per call over 200 calls made one at a time.
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

from bench import commandstats, wrk
from bench.run import CREATE, RESULTS, ROOM, _creates, _send, poll
from bench.servers import Server, Target, ours
from mockserver.process import running_redis

SEQUENTIAL = 200  # calls one at a time, for the round trips a call makes


def _load_all(
    servers: Sequence[Server], request: Any, seconds: float, scratch: Path
) -> tuple[float, int]:
    """Successful requests per second, all servers loaded at once (one wrk each), and
    how many requests were answered."""

    def one(i: int, server: Server, req: Any) -> wrk.Result:
        url = f"http://127.0.0.1:{server.port}"
        script = str(scratch / f"team-{i}.lua")
        return wrk.run(url, req, seconds=seconds, script_path=script, connections=32)

    requests = [request(server) for server in servers]
    with ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(one, range(len(servers)), servers, requests))
    return sum(r.rps for r in results), sum(r.requests for r in results)


def _counted_load(
    servers: Sequence[Server], request: Any, seconds: float, scratch: Path, store: Any, name: str
) -> dict[str, float]:
    """rps of one load; over Redis (`store`, a client) also its commands per call."""
    if store is not None:
        commandstats.reset(store)
    rps, answered = _load_all(servers, request, seconds, scratch)
    figures = {f"{name}_rps": rps}
    if store is not None and answered:
        time.sleep(0.2)  # the journal's last batch of this load is counted with it
        figures[f"{name}_commands_loaded"] = commandstats.counted(store).per(answered)[0]
    return figures


def _counted_calls(server: Server, request: wrk.Request, store: Any, name: str) -> dict[str, float]:
    """Commands and round trips per call over SEQUENTIAL calls, one at a time: then each
    read the server counts is one round trip of the replica (under load, the commands of
    concurrent calls share writes, and reads no longer count round trips)."""
    commandstats.reset(store)
    for _ in range(SEQUENTIAL):
        _send(server.port, request)
    time.sleep(0.2)
    commands, trips = commandstats.counted(store).per(SEQUENTIAL)
    return {f"{name}_commands": commands, f"{name}_round_trips": trips}


def _measure(
    servers: Sequence[Server], seconds: float, warmup: float, scratch: Path, store: Any
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
    figures = _counted_load(servers, polling, seconds, scratch, store, "poll")
    figures |= _counted_load(servers, creating, seconds, scratch, store, "create")
    if store is not None:
        figures |= _counted_calls(servers[0], poll(run_id), store, "poll")
        figures |= _counted_calls(servers[0], CREATE, store, "create")
    return figures


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
        store = redis.Redis.from_url(server.url)
        shared = Target("ours-redis", ours("--state", server.url))
        plans = {
            "memory": [Target("ours", ours())],
            "redis-1": [shared],
            "redis-n": [shared] * args.replicas,
        }
        for r in range(args.rounds):
            order = list(plans)[r % 3 :] + list(plans)[: r % 3]
            for name in order:
                store.flushdb()
                counted = None if name == "memory" else store
                with ExitStack() as stack:
                    servers = [stack.enter_context(Server(t, logs, env=ROOM)) for t in plans[name]]
                    figures = _measure(servers, args.seconds, args.warmup, scratch, counted)
                seen[name].append(figures)
                print(f"  round {r + 1} {name}: {_said(figures)}", flush=True)
    medians = {
        name: {k: statistics.median(f[k] for f in rounds) for k in rounds[0]}
        for name, rounds in seen.items()
    }
    base = medians["memory"]
    ratios = {
        name: {k: m[k] / base[k] for k in ("poll_rps", "create_rps")}
        for name, m in medians.items()
        if name != "memory"
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
    print(
        "\n| setup | create rps | poll rps | create vs memory | poll vs memory"
        " | commands / round trips per create | per poll | commands under load (create, poll) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, label in (
        ("memory", "1 mock, in memory (baseline)"),
        ("redis-1", "1 replica over Redis"),
        ("redis-n", f"{args.replicas} replicas over one Redis"),
    ):
        m, ratio = medians[name], ratios.get(name, {"create_rps": 1.0, "poll_rps": 1.0})
        print(
            f"| {label} | {m['create_rps']:.0f} | {m['poll_rps']:.0f} |"
            f" {ratio['create_rps']:.2f}x | {ratio['poll_rps']:.2f}x |"
            f" {_per_call(m, 'create')} | {_per_call(m, 'poll')} | {_loaded(m)} |"
        )
    print(f"\nload average before: {load_before[0]:.1f} on {os.cpu_count()} cores")
    return 0


def _per_call(figures: dict[str, float], name: str) -> str:
    if f"{name}_commands" not in figures:
        return "-"
    return f"{figures[f'{name}_commands']:.2f} / {figures[f'{name}_round_trips']:.2f}"


def _loaded(figures: dict[str, float]) -> str:
    if "create_commands_loaded" not in figures:
        return "-"
    return f"{figures['create_commands_loaded']:.2f}, {figures['poll_commands_loaded']:.2f}"


def _said(figures: dict[str, float]) -> str:
    parts = []
    for name in ("poll", "create"):
        part = f"{name} {figures[f'{name}_rps']:.0f}/s"
        if f"{name}_commands" in figures:
            part += f" ({_per_call(figures, name)} commands / round trips per call)"
        parts.append(part)
    return ", ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
