"""What a fixture made for several tests, or the rule that stopped it: the first test that
needs it reports that rule, the others say they were not checked because of it (not one
error per test, each repeating the same report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import pytest

from contract_tests.rules import ContractViolation

T = TypeVar("T")


@dataclass
class Prerequisite(Generic[T]):
    value: T | None = None
    broken: ContractViolation | None = None
    reported_by: str | None = None

    @classmethod
    def of(cls, make: Callable[[], T]) -> Prerequisite[T]:
        try:
            return cls(value=make())
        except ContractViolation as violation:
            return cls(broken=violation)

    def get(self, test: str) -> T:
        """The value; else the violation for the first `test` asking, a skip for the rest."""
        __tracebackhide__ = True
        if self.broken is None:
            assert self.value is not None
            return self.value
        if self.reported_by is None:
            self.reported_by = test
            raise self.broken
        pytest.skip(
            f"not checked because [{self.broken.rule.id}] failed "
            f"(reported once, by {self.reported_by})"
        )
