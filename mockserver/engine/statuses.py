"""The error statuses a behaviour may answer, declared next to it (`@may_answer(404)`),
so that start-up can name those the served document does not list: a bare FastAPI
export documents 200 and 422 only, and its user should learn why a 404 arrives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Behaviour = TypeVar("Behaviour", bound=Callable[..., Any])
_ATTRIBUTE = "mock_may_answer"


def may_answer(*statuses: int) -> Callable[[Behaviour], Behaviour]:
    """Mark a behaviour with the error statuses its own code raises."""

    def marked(behaviour: Behaviour) -> Behaviour:
        setattr(behaviour, _ATTRIBUTE, frozenset(statuses))
        return behaviour

    return marked


def declared(behaviour: Callable[..., Any]) -> frozenset[int]:
    """What `may_answer` marked (a bound method reads its function's mark)."""
    found: frozenset[int] = getattr(behaviour, _ATTRIBUTE, frozenset())
    return found
