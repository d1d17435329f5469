"""What a handler takes, read once from its signature (never per request): the keyword
arguments it names, or all of them when it has `**kwargs` (answers from the document).
The engines compute and pass only what it takes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Takes:
    names: frozenset[str]
    everything: bool

    @classmethod
    def of(cls, handler: Callable[..., Any]) -> Takes:
        signature = inspect.signature(handler).parameters
        every = any(p.kind is p.VAR_KEYWORD for p in signature.values())
        return cls(frozenset(signature), every)

    def wants(self, arg: str) -> bool:
        return self.everything or arg in self.names

    def picked(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments the handler takes, of those given."""
        if self.everything:
            return dict(kwargs)
        return {k: v for k, v in kwargs.items() if k in self.names}
