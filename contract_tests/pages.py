"""The rules on one page of a listing, given what earlier pages of the same listing showed.
Plain: the suite's listing test and the proxy (on live traffic) both call it."""

from __future__ import annotations

import math
from datetime import datetime
from itertools import pairwise
from typing import Any

from contract_tests import rules
from contract_tests.exchange import Exchange
from contract_tests.history import timestamp
from contract_tests.rules import require


def check_page(
    exchange: Exchange,
    body: dict[str, Any],
    number: int,
    size: int,
    total: int,
    seen: list[str],
    times: list[datetime | None],
) -> None:
    """Page `number` of `size` of a listing of `total` runs; `seen` and `times` hold the ids
    and creation times of the pages before it (both extended here)."""
    __tracebackhide__ = True
    expected = max(0, min(size, total - (number - 1) * size))
    problem = (
        f"total {body['total']} != {total}"
        if body["total"] != total
        else f"pages {body['pages']} != ceil({total}/{size})"
        if body["pages"] != math.ceil(total / size)
        else f"page {body['page']} / size {body['size']} != asked {number} / {size}"
        if (body["page"], body["size"]) != (number, size)
        else f"{len(body['items'])} items on page {number}, expected {expected}"
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
        f"items are not newest first (up to page {number})",
        exchange,
    )
