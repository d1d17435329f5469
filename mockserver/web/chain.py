"""The middleware chain, given to connexion through its documented `middlewares=` list.

connexion's default list (`ConnexionMiddleware.default_middlewares`), reshaped: our gate
takes the place of the five raw layers stacked before connexion's exception handling,
Swagger UI lets /v1 calls straight through (its own router matched every request), and
fault injection sits after routing and before security, as before. Routing, security,
request and response validation, lifespan and context stay connexion's.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from mockserver.state import MockState
from mockserver.web.gate import PUBLIC, Gate
from mockserver.web.injection import FaultInjection


class SwaggerUI(SwaggerUIMiddleware):  # type: ignore[misc]
    """connexion's Swagger UI, which serves nothing under /v1: those calls skip its router."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def middlewares(state: MockState) -> list[Any]:
    return [
        ServerErrorMiddleware,
        partial(Gate, state=state, document=state.spec.document),
        ExceptionMiddleware,
        SwaggerUI,
        RoutingMiddleware,
        partial(FaultInjection, state=state),
        SecurityMiddleware,
        RequestValidationMiddleware,
        ResponseValidationMiddleware,
        LifespanMiddleware,
        ContextMiddleware,
    ]
