"""What the proxy saw break: each contract violation once in the log, listed, counted, and
written as JUnit (one test case per rule of the contract suite) at shutdown."""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract_tests import rules
from contract_tests.rules import ContractViolation

LOG = logging.getLogger("mockserver.proxy")
KEPT = 1000  # violations listed at most (the oldest go); the counts keep growing


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    run_id: str | None
    problem: str
    report: str  # the suite's whole failure text: rule, spec, problem, evidence, curl
    curls: tuple[str, ...]
    at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "run_id": self.run_id,
            "problem": self.problem,
            "report": self.report,
            "curl": list(self.curls),
            "at": self.at,
        }


class ViolationLog:
    def __init__(self, judged: frozenset[str]) -> None:
        self.judged = judged  # the rules live traffic can show broken
        self.counts: Counter[str] = Counter()  # violations, by rule
        self.checked: Counter[str] = Counter()  # checks made (held or not), by rule
        self._kept: deque[Violation] = deque(maxlen=KEPT)

    def add(self, exc: ContractViolation, run_id: str | None) -> Violation:
        curls = tuple(c for c in (item.curl() for item in exc.evidence) if c)
        found = Violation(exc.rule.id, run_id, exc.problem, str(exc), curls, time.time())
        self.counts[found.rule] += 1
        self._kept.append(found)
        one_line = " ".join(exc.problem.split())
        LOG.warning("violation %s run %s: %s", found.rule, run_id or "-", one_line)
        return found

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def listed(self, rule: str | None = None, run_id: str | None = None) -> list[Violation]:
        return [
            v
            for v in self._kept
            if (rule is None or v.rule == rule) and (run_id is None or v.run_id == run_id)
        ]

    def junit(self) -> bytes:
        """One test case per rule: failed with every violation kept; passed when checked
        and held; skipped when live traffic cannot show it (e.g. a refused key: the proxy
        cannot know it), or when no call seen exercised it (no webhook, no stream...)."""
        suite = ET.Element("testsuite", name="contract-proxy")
        failures = skipped = 0
        for rule in rules.ALL:
            case = ET.SubElement(suite, "testcase", classname="proxy", name=rule.id)
            seen = self.listed(rule=rule.id)
            if seen:
                failures += 1
                first = seen[0]
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"[{rule.id}] {self.counts[rule.id]} violation(s); "
                    f"first (run {first.run_id or '-'}): {first.problem}",
                )
                failure.text = "\n\n".join(v.report for v in seen)
            elif rule.id not in self.judged:
                skipped += 1
                ET.SubElement(case, "skipped", message="not observable on live traffic")
            elif not self.checked[rule.id]:
                skipped += 1
                ET.SubElement(case, "skipped", message="not exercised by the traffic seen")
        suite.set("tests", str(len(rules.ALL)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))

    def write_junit(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.junit())
