"""/v1 on the reference engine (`--engine connexion`): connexion serves every operation
(resolved onto the handlers the compiled engine calls, document-served ones included),
behind this front, which does what connexion has no notion of or does against the spec.

- Fault injection, a mock feature: as on the compiled engine, drawn after routing (it
  needs the operationId) and before security.
- An operation without a requestBody has no body to read, so its Content-Type is not
  passed on: stock connexion parses a form body on every call (for the handler's `files`)
  and would answer a GET carrying a boundary-less multipart type with a 400.
The route table is the contract core's (apicontract/router.py), the one the gate's method
guard matches with, so no routing information is read out of connexion.
"""

from __future__ import annotations

from typing import Any

from apicontract.operations import operations_of
from apicontract.router import operation_routes, route_of
from mockserver.engine import problems
from mockserver.engine.asked import asked_of
from mockserver.engine.injection import injected_fault
from mockserver.engine.reply import send_reply
from mockserver.engine.specification import SpecError
from mockserver.state import MockState


class ReferenceFront:
    """The ASGI app of /v1: injected faults, then `app` (connexion, built on demand)."""

    def __init__(self, state: MockState, app: Any) -> None:
        self.state = state
        self.app = app
        self.unavailable = state.backend.unavailable
        version = str(state.spec.raw.get("openapi", ""))
        if not version.startswith("3.0"):
            raise SpecError(
                f"{state.spec.path}: the reference engine (connexion) reads OpenAPI 3.0, "
                f"not {version}; the compiled engine serves it"
            )
        operations = operations_of(state.spec)
        for operation in operations:
            # Without an operationId the core names it "METHOD template".
            if operation.id == f"{operation.method} {operation.template}":
                raise SpecError(
                    f"{state.spec.path}: the reference engine (connexion) resolves handlers "
                    f"by operationId; {operation.method} {operation.template} has none"
                )
        self.routes = operation_routes(operations)

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
            if operation.body is None:
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
