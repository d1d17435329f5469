"""The benchmark harness's pure parts: wrk scripts and output, statistics, the summary."""

from __future__ import annotations

import pytest

from bench import report, seeder, wrk
from bench.stats import Spread, percent_change, ratio

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:4010/v1/x
  1 threads and 32 connections
  3458 requests in 10.00s, 631.49KB read
BENCH_JSON {"requests":30000,"duration_us":10000000,"connect_errors":0,"read_errors":1,\
"write_errors":0,"status_errors":500,"timeouts":2,"p50_us":7550,"p90_us":26460,\
"p99_us":49870,"max_us":72750}
Requests/sec:   3000.00
"""


def test_wrk_output_is_parsed_and_non_2xx_never_counts_as_speed() -> None:
    result = wrk.parse(WRK_OUTPUT)
    assert result.requests == 30000
    assert result.non_2xx == 500
    assert result.socket_errors == 3
    assert result.p50_ms == pytest.approx(7.55)
    assert result.p99_ms == pytest.approx(49.87)
    assert result.rps == pytest.approx(2950.0)


def test_wrk_output_without_our_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="BENCH_JSON"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_lua_script_quotes_a_body_that_contains_closing_brackets() -> None:
    body = '{"a": [[1]], "b": "]=]"}'
    script = wrk.lua_script(wrk.Request("POST", "/p", (("X-API-Key", "k"),), body))
    assert "wrk.body = [==[" + body + "]==]" in script
    assert "wrk.headers[ [[X-API-Key]] ] = [[k]]" in script
    assert "done = function" in script


def test_spread_is_the_median_with_its_range() -> None:
    spread = Spread.of([3.0, 1.0, 2.0, 10.0])
    assert (spread.median, spread.low, spread.high, spread.n) == (2.5, 1.0, 10.0, 4)
    with pytest.raises(ValueError):
        Spread.of([])


def test_ratios_and_changes_need_a_base() -> None:
    assert ratio(3000, 1500) == 2.0
    assert ratio(3000, 0) is None
    assert percent_change(10.0, 11.0) == pytest.approx(10.0)
    assert percent_change(0.0, 1.0) is None


def test_seeder_reads_status_and_length_from_a_response_head() -> None:
    head = (
        b"HTTP/1.1 422 Unprocessable Entity\r\n"
        b"content-type: application/json\r\ncontent-length: 57\r\n\r\n"
    )
    assert seeder.status_and_length(head) == (422, 57)
    raw = seeder.raw_request(wrk.Request("POST", "/p", (("X-API-Key", "k"),), "{}"), 4010)
    assert raw.startswith(b"POST /p HTTP/1.1\r\nHost: 127.0.0.1:4010\r\nX-API-Key: k\r\n")
    assert raw.endswith(b"Content-Length: 2\r\n\r\n{}")


def _round(rps: float, p99: float) -> dict[str, object]:
    route = {"rps": rps, "p50_ms": p99 / 3, "p99_ms": p99, "non_2xx": 0, "socket_errors": 0}
    return {"create": route, "poll": route, "peak_rss_kb": 102400}


def test_summary_computes_ratios_and_judges_the_targets() -> None:
    results = {
        "rounds": {
            "ours": [_round(4000, 10), _round(4400, 12), _round(3600, 11)],
            "prism": [_round(3900, 15), _round(4000, 16), _round(4100, 17)],
            "ceiling": [_round(20000, 3)] * 3,
        },
        "cold_start_s": {"ours": [0.2, 0.25, 0.4], "prism": [1.1] * 3, "ceiling": [0.1] * 3},
        "scale": {},
    }
    summary = report.summary(results)
    assert summary["ratios"]["ours/prism"]["create"] == pytest.approx(1.0)
    assert summary["ratios"]["ours/ceiling"]["poll"] == pytest.approx(0.2)
    assert summary["servers"]["ours"]["rps_spread_pct"]["create"] == pytest.approx(20.0)
    met = {t["target"]: t["met"] for t in summary["targets"]}
    assert met["create throughput >= 1.5x Prism static"] is False  # 1.0x is not enough
    assert met["create p99 <= Prism's"] is True
    assert met["cold start <= 0.3 s"] is True
    values = {t["target"]: t["value"] for t in summary["targets"]}
    assert values["cold start <= 0.3 s"] == "0.25 s (0.23x Prism's 1.10 s)"
    table = report.table(summary)
    assert "| ours | 4000 (3600-4400) |" in table
    assert "ours/prism throughput: create 1.00x, poll 1.00x" in table
