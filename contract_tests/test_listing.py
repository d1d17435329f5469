"""Listing a workflow's runs: pages consistent with each other and with the runs created."""

from __future__ import annotations

import math
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.api import Api
from contract_tests.exchange import Exchange
from contract_tests.history import timestamp, valid_body
from contract_tests.options import current
from contract_tests.rules import require, shows_case

MAX_PAGES = 40  # pages walked at most: a busy workspace gets bigger pages instead


@settings(max_examples=max(2, current().effort.lifecycle_examples // 2))
@given(size=st.integers(1, 4), new_runs=st.integers(1, 3))
@shows_case
def test_pages_are_consistent(api: Api, size: int, new_runs: int) -> None:
    created = [valid_body(api.create(), "SimplifiedRun")["id"] for _ in range(new_runs)]
    first = valid_body(api.page(1, size), "PageSimplifiedRun")
    size = min(100, max(size, math.ceil(first["total"] / MAX_PAGES)))
    pages: list[tuple[Exchange, dict]] = []  # type: ignore[type-arg]
    number = 1
    while True:
        exchange = api.page(number, size)
        pages.append((exchange, valid_body(exchange, "PageSimplifiedRun")))
        if number >= max(1, pages[0][1]["pages"]) or number > MAX_PAGES + 1:
            break
        number += 1
    beyond = api.page(number + 1, size)
    pages.append((beyond, valid_body(beyond, "PageSimplifiedRun")))
    total = pages[0][1]["total"]
    seen: list[str] = []
    times = []
    for index, (exchange, body) in enumerate(pages, 1):
        expected = max(0, min(size, total - (index - 1) * size))
        problem = (
            f"total {body['total']} != {total}"
            if body["total"] != total
            else f"pages {body['pages']} != ceil({total}/{size})"
            if body["pages"] != math.ceil(total / size)
            else f"page {body['page']} / size {body['size']} != asked {index} / {size}"
            if (body["page"], body["size"]) != (index, size)
            else f"{len(body['items'])} items on page {index}, expected {expected}"
            if len(body["items"]) != expected
            else ""
        )
        require(rules.PAGES, not problem, problem, exchange)
        for item in body["items"]:
            require(rules.PAGES, item["id"] not in seen, f"run {item['id']} listed twice", exchange)
            seen.append(item["id"])
        times += [timestamp(item["created_at"]) for item in body["items"]]
        require(
            rules.PAGES,
            all(a >= b for a, b in pairwise(times) if a and b),
            f"items are not newest first (up to page {index})",
            exchange,
        )
    missing = [run for run in created if run not in seen]
    require(
        rules.PAGES,
        not missing,
        f"runs just created are not listed: {missing}",
        *[p[0] for p in pages[:2]],
    )
