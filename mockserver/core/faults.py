"""Fault rules: what to break, for whom, on which operation. Pure (draws take an rng).

A rule applies globally or to one workspace, to every operation or to a list of
operationIds (plus the pseudo-operation `webhook`). When several apply, the more specific
wins field by field: global < global+operation < workspace < workspace+operation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from typing import Any

from mockserver.core.precedence import fill

WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class RequestFaults:
    """Faults asked for by one request's Prefer header."""

    latency_ms: tuple[int, int] | None = None
    status: int | None = None  # answer this request with 429 or 503
    sse_cut_after: int | None = None
    webhook_fail_times: int | None = None
    webhook_duplicates: int | None = None
    webhook_delay_s: float | None = None


@dataclass(frozen=True, slots=True)
class Faults:
    latency_ms: tuple[int, int] | None = None
    error_rate: float | None = None
    error_status: int | None = None
    retry_after_s: int | None = None
    sse_cut_after: int | None = None
    webhook_fail_times: int | None = None
    webhook_duplicates: int | None = None
    webhook_delay_s: float | None = None

    def over(self, lower: Faults) -> Faults:
        return fill(self, lower)

    @classmethod
    def from_request(cls, asked: RequestFaults) -> Faults:
        return cls(
            latency_ms=asked.latency_ms,
            # a status asked for in Prefer always happens
            error_rate=1.0 if asked.status else None,
            error_status=asked.status,
            sse_cut_after=asked.sse_cut_after,
            webhook_fail_times=asked.webhook_fail_times,
            webhook_duplicates=asked.webhook_duplicates,
            webhook_delay_s=asked.webhook_delay_s,
        )

    def latency_s(self, rng: random.Random) -> float:
        if self.latency_ms is None:
            return 0.0
        low, high = self.latency_ms
        return (low if low == high else rng.randint(low, high)) / 1000

    def error(self, rng: random.Random) -> int | None:
        """The status to answer instead of serving, if this request draws a failure."""
        if not self.error_rate or rng.random() >= self.error_rate:
            return None
        return self.error_status or 503


@dataclass(frozen=True, slots=True)
class FaultRule:
    workspace: str | None
    operations: tuple[str, ...]
    faults: Faults

    @property
    def scope(self) -> str:
        """A rule replaces an earlier one with the same scope (as text, for a store's key)."""
        return f"{self.workspace or '*'}|{','.join(self.operations)}"

    @property
    def specificity(self) -> int:
        return (2 if self.workspace else 0) + (1 if self.operations else 0)

    def applies(self, workspace: str | None, operation: str) -> bool:
        return (self.workspace in (None, workspace)) and (
            not self.operations or operation in self.operations
        )

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"scope": "workspace" if self.workspace else "global"}
        if self.workspace:
            body["group_id"] = self.workspace
        body["operations"] = list(self.operations)
        for f in fields(self.faults):
            value = getattr(self.faults, f.name)
            if value is not None:
                body[f.name] = list(value) if isinstance(value, tuple) else value
        return body


class FaultBook:
    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._rules: list[FaultRule] = list(rules or ())

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def add(self, rule: FaultRule) -> None:
        # A rule for the same scope and operations replaces the earlier one.
        self._rules = [r for r in self._rules if r.scope != rule.scope]
        self._rules.append(rule)

    def clear(self, workspace: str | None = None) -> None:
        self._rules = (
            [] if workspace is None else [r for r in self._rules if r.workspace != workspace]
        )

    def effective(self, workspace: str | None, operation: str) -> Faults:
        result = Faults()
        for rule in sorted(self._rules, key=lambda r: r.specificity):
            if rule.applies(workspace, operation):
                result = rule.faults.over(result)
        return result


def without_webhook_faults(faults: Faults) -> Faults:
    return replace(faults, webhook_fail_times=None, webhook_duplicates=None, webhook_delay_s=None)
