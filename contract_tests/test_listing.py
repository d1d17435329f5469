"""Listing a workflow's runs: pages consistent with each other and with the runs created."""

from __future__ import annotations

import math
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.api import Api
from contract_tests.exchange import Exchange
from contract_tests.history import valid_body
from contract_tests.options import current
from contract_tests.pages import check_page
from contract_tests.rules import require, shows_case

MAX_PAGES = 40  # pages walked at most: a busy workspace gets bigger pages instead


@settings(max_examples=max(2, current().effort.lifecycle_examples // 2))
@given(size=st.integers(1, 4), new_runs=st.integers(1, 3))
@shows_case
def test_pages_are_consistent(api: Api, size: int, new_runs: int) -> None:
    created = [valid_body(api.create(), "SimplifiedRun")["id"] for _ in range(new_runs)]
    first = valid_body(api.page(1, size), "PageSimplifiedRun")
    # a busy workspace is walked in bigger pages: the pages below use `used`, not `size`
    used = min(100, max(size, math.ceil(first["total"] / MAX_PAGES)))
    pages: list[tuple[Exchange, dict]] = []  # type: ignore[type-arg]
    number = 1
    while True:
        exchange = api.page(number, used)
        pages.append((exchange, valid_body(exchange, "PageSimplifiedRun")))
        if number >= max(1, pages[0][1]["pages"]) or number > MAX_PAGES + 1:
            break
        number += 1
    beyond = api.page(number + 1, used)
    pages.append((beyond, valid_body(beyond, "PageSimplifiedRun")))
    total = pages[0][1]["total"]
    seen: list[str] = []
    times: list[datetime | None] = []
    for index, (exchange, body) in enumerate(pages, 1):
        check_page(exchange, body, index, used, total, seen, times)
    missing = [run for run in created if run not in seen]
    require(
        rules.PAGES,
        not missing,
        f"runs just created are not listed: {missing}",
        *[p[0] for p in pages[:2]],
    )
