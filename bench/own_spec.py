"""`python -m bench.own_spec`: a public multi-megabyte document served with `--spec`
(Twilio's REST API, 1.9 MB, 197 operations: tests/specs/twilio_api_v2010.json.gz),
against Prism on the same document in the same run: cold start (spawn to the first
answer of a generic GET, parse cache empty and warm) and rps of that GET and of a
stateful POST (a create; Prism answers it from the document, keeping nothing).

Round-robin over the servers, a fresh server per round, medians with min-max; the machine
is shared, so only the ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.servers import HOST, PRISM, ROOT, Server, Target, call, ours

SPEC = ROOT / "tests" / "specs" / "twilio_api_v2010.json.gz"
AUTH = "Basic " + base64.b64encode(b"AC0123:token").decode()
GET = wrk.Request("GET", "/2010-04-01/Accounts.json", (("Authorization", AUTH),))
POST = wrk.Request(
    "POST",
    "/2010-04-01/Accounts.json",
    (("Authorization", AUTH), ("Content-Type", "application/x-www-form-urlencoded")),
    "FriendlyName=bench",
)


def _targets(spec: Path, cache: Path) -> dict[str, Target]:
    def prism(port: int) -> list[str]:
        return [str(PRISM), "mock", str(spec), "-h", HOST, "-p", str(port), "-v", "warn"]

    return {
        "ours": Target("ours", ours("--spec", str(spec)), {"XDG_CACHE_HOME": str(cache)}),
        "prism": Target("prism", prism),
    }


def _answers(port: int) -> bool:
    return call(port, GET.method, GET.path, headers=dict(GET.headers)).status == 200


def _median(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.own_spec")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-own-spec-"))
    spec = work / "twilio_api_v2010.json"
    spec.write_bytes(gzip.decompress(SPEC.read_bytes()))
    figures: dict[str, Any] = {"spec_bytes": spec.stat().st_size}
    cold: dict[str, list[float]] = {"ours (empty cache)": [], "ours (warm)": [], "prism": []}
    load: dict[str, dict[str, list[float]]] = {
        n: {"get": [], "post": []} for n in ("ours", "prism")
    }
    for r in range(args.rounds):
        fresh = work / f"cache-{r}"
        targets = _targets(spec, fresh)
        for name, label in (
            ("ours", "ours (empty cache)"),
            ("ours", "ours (warm)"),
            ("prism", "prism"),
        ):
            with Server(targets[name], work) as server:
                cold[label].append(server.wait_ready(_answers))
                if label == "ours (empty cache)":
                    continue
                base = f"http://{HOST}:{server.port}"
                for key, request in (("get", GET), ("post", POST)):
                    result = wrk.run(
                        base, request, seconds=args.seconds, script_path=str(work / "load.lua")
                    )
                    load[name][key].append(result.rps)
        print(f"  round {r + 1}: cold " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in cold.items()))
    figures["cold_start_s"] = {k: _median(v) for k, v in cold.items()}
    figures["rps"] = {n: {k: _median(v) for k, v in by.items()} for n, by in load.items()}
    ours_cold = figures["cold_start_s"]
    print(f"\nCold start, {figures['spec_bytes'] / 1e6:.1f} MB document, median of {args.rounds}:")
    for label, values in ours_cold.items():
        print(
            f"  {label}: {values['median']:.2f}s (min {values['min']:.2f}, max {values['max']:.2f})"
        )
    prism_cold = ours_cold["prism"]["median"]
    for label in ("ours (empty cache)", "ours (warm)"):
        print(f"  {label} / prism: {ours_cold[label]['median'] / prism_cold:.2f}")
    for key in ("get", "post"):
        o, p = figures["rps"]["ours"][key]["median"], figures["rps"]["prism"][key]["median"]
        print(f"  rps {key}: ours {o:.0f}, prism {p:.0f} (x{o / p:.1f})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
