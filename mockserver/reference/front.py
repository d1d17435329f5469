"""/v1 on the reference engine (`--engine connexion`): connexion serves every operation,
behind this front, which does what connexion has no notion of or does against the spec.

- Fault injection, a mock feature: as on the compiled engine, drawn after routing (it
  needs the operationId) and before security.
- An operation without a requestBody has no body to read, so its Content-Type is not
  passed on: stock connexion parses a form body on every call (for the handler's `files`)
  and would answer a GET carrying a boundary-less multipart type with a 400.
The route table is the spec's, matched as the gate's method guard matches it (routes.py),
so no routing information is read out of connexion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apicontract.operations import METHODS
from apicontract.router import Routes, route_of
from mockserver.engine import problems
from mockserver.engine.asked import asked_of
from mockserver.engine.injection import injected_fault
from mockserver.engine.reply import send_reply
from mockserver.engine.specification import SpecError
from mockserver.state import MockState


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    has_body: bool


class ReferenceFront:
    """The ASGI app of /v1: injected faults, then `app` (connexion, built on demand)."""

    def __init__(self, state: MockState, app: Any, handled: frozenset[str]) -> None:
        self.state = state
        self.app = app
        self.unavailable = state.backend.unavailable
        table: dict[str, dict[str, Operation]] = {}
        for template, item in state.spec.raw["paths"].items():
            table[template] = {}
            for method in METHODS:
                if method in item:
                    name = item[method].get("operationId", "(no operationId)")
                    if name not in handled:
                        raise SpecError(
                            f"{state.spec.path}: the mock has no handler for operation {name}"
                        )
                    has_body = "requestBody" in item[method]
                    table[template][method.upper()] = Operation(name, has_body)
        self.routes = Routes(table)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        found = route_of(scope, self.routes)
        operation = None if found is None else found[1].get(scope["method"])
        if operation is not None:
            try:
                fault = await injected_fault(self.state, asked_of(scope), operation.id)
            except self.unavailable as exc:
                await send_reply(send, problems.unavailable_answer(exc))
                return
            if fault is not None:
                await send_reply(send, fault)
                return
            if not operation.has_body:
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
