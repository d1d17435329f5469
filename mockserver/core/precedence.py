"""Layered settings: an upper layer wins field by field, unset (None) fields fall through."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, TypeVar

T = TypeVar("T")


def fill(upper: T, lower: T) -> T:
    """`upper`, with each field it leaves None taken from `lower` (same dataclass)."""
    top: Any = upper
    missing = {f.name: getattr(lower, f.name) for f in fields(top) if getattr(top, f.name) is None}
    result: T = replace(top, **missing)
    return result
