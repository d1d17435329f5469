"""`make fuzz`'s stateful link coverage: read from schemathesis' line, judged against the spec."""

from __future__ import annotations

from apicontract.spec import load_yaml
from fuzz import links
from mockserver.settings import Settings

STATEFUL = "     Scenarios:    92\n     API Links:    {} covered / {} selected / {} total{}\n"


def test_the_spec_declares_links_from_both_creates() -> None:
    assert links.declared_links(load_yaml(Settings().spec_path)) == 8


def test_full_coverage_of_the_declared_links_passes() -> None:
    coverage = links.parse(STATEFUL.format(8, 8, 8, ""))
    assert coverage is not None and str(coverage) == "8/8 (100%)"
    assert coverage.problems(declared=8) == []


def test_coverage_below_80_percent_fails() -> None:
    coverage = links.parse(STATEFUL.format(6, 8, 8, ""))
    assert coverage is not None
    assert coverage.problems(declared=8) == ["link coverage 6/8 (75%) is below 80%"]


def test_inferred_links_or_a_missing_line_do_not_pass_silently() -> None:
    # stock defaults: 0 of 45, 41 of them inferred (what `make fuzz` reported before)
    coverage = links.parse(STATEFUL.format(0, 45, 45, " (41 inferred)"))
    assert coverage is not None and len(coverage.problems(declared=4)) == 2
    assert links.parse("=== No issues found ===") is None
