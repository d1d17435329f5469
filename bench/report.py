"""From raw rounds to the summary (medians, ratios, targets) and its Markdown table. Pure."""

from __future__ import annotations

from typing import Any

from bench.stats import Spread, percent_change, ratio

ROUTES = ("create", "poll")
PEERS = ("prism", "ceiling")


def _route(rounds: list[dict[str, Any]], route: str) -> dict[str, Any]:
    def spread(key: str) -> dict[str, float]:
        return Spread.of([r[route][key] for r in rounds]).as_json()

    return {
        "rps": spread("rps"),
        "p50_ms": spread("p50_ms"),
        "p99_ms": spread("p99_ms"),
        "non_2xx": sum(r[route]["non_2xx"] for r in rounds),
        "socket_errors": sum(r[route]["socket_errors"] for r in rounds),
    }


def _stored(raw: dict[str, Any]) -> dict[str, Any]:
    polls = raw["poll"]
    side = {
        label: {
            key: Spread.of([p[key] for p in polls[label]]).as_json()
            for key in ("rps", "p50_ms", "p99_ms")
        }
        for label in ("one", "many")
    }
    return {
        "stored": raw["stored"],
        "bytes_per_run": raw["bytes_per_run"],
        "rss_after_mb": raw["rss_after_mb"],
        "seed_seconds": raw["seed_seconds"],
        **side,
        "p50_change_pct": percent_change(
            side["one"]["p50_ms"]["median"], side["many"]["p50_ms"]["median"]
        ),
        "p99_change_pct": percent_change(
            side["one"]["p99_ms"]["median"], side["many"]["p99_ms"]["median"]
        ),
        "non_2xx": sum(p["non_2xx"] for label in polls for p in polls[label]),
    }


def summary(results: dict[str, Any]) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for name, rounds in results["rounds"].items():
        entry: dict[str, Any] = {route: _route(rounds, route) for route in ROUTES}
        entry["peak_rss_mb"] = Spread.of([r["peak_rss_kb"] / 1024 for r in rounds]).as_json()
        starts = results.get("cold_start_s", {}).get(name)
        entry["cold_start_s"] = Spread.of(starts).as_json() if starts else None
        # How far apart the rounds were: the machine's noise, in percent of the median.
        entry["rps_spread_pct"] = {
            route: (entry[route]["rps"]["max"] - entry[route]["rps"]["min"])
            / entry[route]["rps"]["median"]
            * 100
            if entry[route]["rps"]["median"]
            else None
            for route in ROUTES
        }
        servers[name] = entry
    ratios = {
        f"ours/{peer}": {
            route: ratio(
                servers["ours"][route]["rps"]["median"], servers[peer][route]["rps"]["median"]
            )
            for route in ROUTES
        }
        for peer in PEERS
        if "ours" in servers and peer in servers
    }
    scale = dict(results.get("scale", {}))
    if "stored_runs" in scale:
        scale["stored_runs"] = _stored(scale["stored_runs"])
    out: dict[str, Any] = {"servers": servers, "ratios": ratios, "scale": scale}
    out["targets"] = targets(out)
    return out


FACTOR = 1.5  # issue 13: poll and create at 1.5x Prism's static mock


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    found: list[dict[str, Any]] = []
    servers, ratios, scale = summary["servers"], summary["ratios"], summary["scale"]
    if "ours/prism" in ratios:
        for route in ROUTES:
            value = ratios["ours/prism"][route]
            found.append(
                {
                    "target": f"{route} throughput >= {FACTOR:g}x Prism static",
                    "value": f"{value:.2f}x" if value is not None else "n/a",
                    "met": value is not None and value >= FACTOR,
                }
            )
            ours_p99 = servers["ours"][route]["p99_ms"]["median"]
            prism_p99 = servers["prism"][route]["p99_ms"]["median"]
            found.append(
                {
                    "target": f"{route} p99 <= Prism's",
                    "value": f"{ours_p99:.1f} ms vs {prism_p99:.1f} ms",
                    "met": ours_p99 <= prism_p99,
                }
            )
    start = servers.get("ours", {}).get("cold_start_s")
    if start:
        value = f"{start['median']:.2f} s"
        prism_start = servers.get("prism", {}).get("cold_start_s")
        if prism_start:
            times = start["median"] / prism_start["median"]
            value += f" ({times:.2f}x Prism's {prism_start['median']:.2f} s)"
        found.append(
            {
                "target": "cold start <= 0.3 s",
                "value": value,
                "met": start["median"] <= 0.3,
            }
        )
    if "sse" in scale:
        sse = scale["sse"]
        found.append(
            {
                "target": "1,000 concurrent SSE streams, RSS < 300 MB",
                "value": f"{sse['still_open']}/{sse['asked']} held, {sse['rss_held_mb']:.0f} MB",
                "met": sse["asked"] >= 1000
                and sse["still_open"] == sse["asked"]
                and sse["rss_held_mb"] < 300,
            }
        )
    if "stored_runs" in scale:
        stored = scale["stored_runs"]
        change = stored["p50_change_pct"]
        many = stored["stored"]["many"]
        found.append(
            {
                "target": "poll p50 at 100k stored runs within 10% of 1 run",
                "value": f"{change:+.1f}% at {many} runs" if change is not None else "n/a",
                "met": many >= 100_000 and change is not None and change <= 10,
            }
        )
    return found


def _cell(spread: dict[str, float], fmt: str = "{:.0f}") -> str:
    return (
        f"{fmt.format(spread['median'])} ({fmt.format(spread['min'])}-{fmt.format(spread['max'])})"
    )


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| server | create rps | create p50 / p99 ms | poll rps | poll p50 / p99 ms "
        "| non-2xx | cold start s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary["servers"].items():
        start = _cell(s["cold_start_s"], "{:.2f}") if s["cold_start_s"] else "-"
        lines.append(
            f"| {name} | {_cell(s['create']['rps'])} "
            f"| {s['create']['p50_ms']['median']:.1f} / {s['create']['p99_ms']['median']:.1f} "
            f"| {_cell(s['poll']['rps'])} "
            f"| {s['poll']['p50_ms']['median']:.1f} / {s['poll']['p99_ms']['median']:.1f} "
            f"| {s['create']['non_2xx'] + s['poll']['non_2xx']} | {start} "
            f"| {s['peak_rss_mb']['median']:.0f} |"
        )
    lines.append("")
    for pair, by_route in summary["ratios"].items():
        parts = [f"{route} {v:.2f}x" for route, v in by_route.items() if v is not None]
        lines.append(f"- {pair} throughput: " + ", ".join(parts))
    scale = summary["scale"]
    if "sse" in scale:
        sse = scale["sse"]
        lines.append(
            f"- SSE: {sse['opened']}/{sse['asked']} streams opened in {sse['open_seconds']:.1f} s, "
            f"{sse['still_open']} still open after the hold; RSS {sse['rss_before_mb']:.0f} -> "
            f"{sse['rss_held_mb']:.0f} MB ({sse['kb_per_stream']:.0f} KB per stream)"
        )
    if "stored_runs" in scale:
        st = scale["stored_runs"]
        lines.append(
            f"- poll with {st['stored']['one']} vs {st['stored']['many']} stored runs: "
            f"p50 {st['one']['p50_ms']['median']:.1f} -> {st['many']['p50_ms']['median']:.1f} ms "
            f"({st['p50_change_pct']:+.1f}%), p99 {st['one']['p99_ms']['median']:.1f} -> "
            f"{st['many']['p99_ms']['median']:.1f} ms ({st['p99_change_pct']:+.1f}%), "
            f"rps {st['one']['rps']['median']:.0f} -> {st['many']['rps']['median']:.0f}; "
            f"{st['bytes_per_run'] / 1024:.1f} KB per stored run "
            f"(RSS {st['rss_after_mb']:.0f} MB, seeded in {st['seed_seconds']:.0f} s)"
        )
    lines.append("")
    lines.append("| target | measured | met |")
    lines.append("|---|---|---|")
    for t in summary["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'no'} |")
    return "\n".join(lines) + "\n"
