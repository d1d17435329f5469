"""connexion's AsyncApp with its per-operation work done once instead of per request.

connexion 3.3.0 re-decorates the handler on every call: `AsyncOperation.fn` builds a new
`StarletteDecorator`, whose wrapper runs `decorate()` (two `inspect.signature` calls and
fresh parameter/response decorators) again for each request. Decorating once is what the
code means to do; the request itself is still read from connexion's context per call,
with the body the request validator already decoded.
These subclasses replace only that; routing, security, validation and error handling
stay connexion's. They touch private classes, hence the exact `connexion==3.3.0` pin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import connexion
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import receive, scope
from connexion.decorators import StarletteDecorator
from connexion.operations import AbstractOperation

from mockserver.web.validation import PARSED_BODY

_NOTHING = object()
_FORMS = (b"multipart/form-data", b"application/x-www-form-urlencoded")


class _OnceDecorator(StarletteDecorator):  # type: ignore[misc]
    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = self.framework.get_request(
                uri_parser=self.uri_parser, scope=scope, receive=receive
            )
            parsed = scope.get("extensions", {}).get(PARSED_BODY, _NOTHING)
            if parsed is not _NOTHING:
                # Starlette's Request.json() answers from this cache: the body validator
                # already decoded the body, the same way, so it is not decoded twice.
                request._starlette_request._json = parsed
            if not _form_posted(scope):
                # connexion asks for the uploaded files on every call, which parses the
                # form; only a form body has any (the mock's specs have none).
                request._files = {}
            return await decorated(request)

        return wrapper


def _form_posted(scope: Any) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bool(value.lower().startswith(_FORMS))
    return False


class _Operation(AsyncOperation):  # type: ignore[misc]
    @functools.cached_property
    def fn(self) -> Callable[..., Any]:
        decorator = _OnceDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(self._fn)


class _Api(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> AsyncOperation:
        return _Operation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class _ASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = _Api


class MockApp(connexion.AsyncApp):  # type: ignore[misc]
    """An AsyncApp whose operations decorate their handler once."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        # AsyncApp.__init__ only sets this attribute, then defers to AbstractApp.
        self._middleware_app = _ASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)
