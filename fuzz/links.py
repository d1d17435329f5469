"""Stateful link coverage, read from stock schemathesis' report line and the spec.

schemathesis prints `API Links: <covered> covered / <selected> selected / <total> total`
after its stateful phase; the spec says how many links it declares. Pure: text in,
verdict out (tests/test_fuzz_links.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

THRESHOLD = 0.8
_LINE = re.compile(
    r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total(?: \((\d+) inferred\))?"
)


@dataclass(frozen=True)
class LinkCoverage:
    covered: int
    total: int
    inferred: int

    @property
    def ratio(self) -> float:
        return self.covered / self.total if self.total else 0.0

    def problems(self, declared: int) -> list[str]:
        """Why this run's coverage is not enough, if it is not (empty when it is)."""
        found = []
        if self.inferred or self.total != declared:
            found.append(
                f"schemathesis counted {self.total} links ({self.inferred} inferred), "
                f"the spec declares {declared}"
            )
        if self.ratio < THRESHOLD:
            found.append(f"link coverage {self} is below {THRESHOLD:.0%}")
        return found

    def __str__(self) -> str:
        return f"{self.covered}/{self.total} ({self.ratio:.0%})"


def parse(output: str) -> LinkCoverage | None:
    """The stateful phase's link line, or None when the output has none."""
    found = _LINE.findall(output)
    if not found:
        return None
    covered, _selected, total, inferred = found[-1]
    return LinkCoverage(int(covered), int(total), int(inferred or 0))


def declared_links(document: dict[str, Any]) -> int:
    """How many links the spec's responses declare."""
    return sum(
        len(response.get("links", {}))
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for response in operation["responses"].values()
    )
