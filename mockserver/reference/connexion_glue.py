"""Where we bend connexion: every private surface of it we rely on, in this one module.

connexion is pinned exactly (`connexion==3.3.0`) because of what is here, and
tests/test_connexion_canary.py names each surface, so an upgrade fails there by name:
- MockApp: connexion's AsyncApp with each handler decorated once. connexion re-decorates
  the handler on every call (`AsyncOperation.fn` builds a new `StarletteDecorator` whose
  `decorate()` calls `inspect.signature` twice and builds fresh decorators); here it is
  decorated once, and the request is still read from connexion's context per call, with
  the body the request validator already decoded.
- the validators (`validator_map`): connexion's validator classes with their private
  `_parse` / `_validate` hooks replaced by validation.py's schema checks;
- `key_handler`: the X-API-Key security handler with auth.py's check, and connexion's
  per-request `inspect.signature` of it cached;
- `remember_valid_specs`: connexion's private `Specification._validate_spec` run once
  per distinct spec (specification.py remembers which passed).
- `FastJsonifier`: connexion's jsonifier on orjson.
This serves what connexion still serves: the control API (/_mock), the dashboard and
Swagger UI, where routing, security, validation and error handling stay connexion's. The
public API (/v1) is public.py's and imports none of it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Iterable
from functools import partial
from typing import Any

import connexion
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import receive, scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators import StarletteDecorator
from connexion.exceptions import NonConformingResponseBody
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.operations import AbstractOperation
from connexion.security import ApiKeySecurityHandler
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    FormDataValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)

from apicontract.problems import ErrorItem, ValidationProblem
from mockserver.engine.auth import key_check
from mockserver.engine.encoding import dumps
from mockserver.engine.validation import (
    PARSED_BODY,
    SchemaCache,
    conformance_errors,
    decode_answer,
    decode_body,
)

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


class FastJsonifier(Jsonifier):  # type: ignore[misc]
    """connexion's Jsonifier (handler results -> body text) on orjson."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        if kwargs:
            return str(super().dumps(data, **kwargs))
        return dumps(data).decode() + "\n"


# --- validators ------------------------------------------------------------------


class JSONBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    def __init__(self, *, cache: SchemaCache, max_depth: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache = cache
        self._max_depth = max_depth

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        body = decode_body(raw, self._encoding, self._max_depth)
        # The handler reads this one (MockApp above) instead of decoding the body again.
        scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if not self._required:
                return None  # an optional body may be left out: `curl -X POST /_mock/reset`
            raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
        errors = self._cache.errors(["body"], self._schema, body)
        if errors:
            raise ValidationProblem(errors)
        return None


class AllErrorsParameterValidator(ParameterValidator):  # type: ignore[misc]
    def __init__(self, *args: Any, cache: SchemaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = cache

    def validate_request(self, request: ConnexionRequest) -> None:
        errors: list[ErrorItem] = []
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            errors.extend(
                ErrorItem(["query", name], f"Unknown query parameter {name!r}", "extra_forbidden")
                for name in sorted(extra)
            )
        sources: dict[str, Callable[[dict[str, Any]], Any]] = {
            "query": lambda p: request.query_params.get(p["name"]),
            "path": lambda p: request.path_params.get(p["name"].replace("-", "_")),
            "header": lambda p: request.headers.get(p["name"]),
            "cookie": lambda p: request.cookies.get(p["name"]),
        }
        seen: set[tuple[str, str]] = set()
        for where, read in sources.items():
            for param in self.parameters.get(where, []):
                # connexion lists path-level parameters once per merge; check each once.
                if (where, param["name"]) not in seen:
                    seen.add((where, param["name"]))
                    errors.extend(self._errors(where, param, read(param)))
        if errors:
            raise ValidationProblem(errors)

    def _errors(self, where: str, param: dict[str, Any], value: Any) -> Iterable[ErrorItem]:
        if value is None:
            if param.get("required"):
                return [ErrorItem([where, param["name"]], "Field required", "missing")]
            return []
        if "schema" not in param:
            return []
        return self._cache.errors([where, param["name"]], param["schema"], value)


class JSONResponseValidator(AbstractResponseBodyValidator):  # type: ignore[misc]
    def __init__(self, *args: Any, cache: SchemaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = cache

    def _parse(self, stream: Iterable[bytes]) -> Any:
        raw = b"".join(stream)
        if not raw:
            return None
        try:
            return decode_answer(raw, self._encoding)
        except ValueError as exc:
            raise NonConformingResponseBody(f"Response body is not JSON: {exc}") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        problem = conformance_errors(self._cache, self._schema, body)
        if problem is not None:
            raise NonConformingResponseBody(problem)
        return None


def validator_map(max_depth: int) -> dict[str, Any]:
    """The validators of one app, sharing one SchemaCache."""
    cache = SchemaCache()
    return {
        "parameter": partial(AllErrorsParameterValidator, cache=cache),
        # These entries replace connexion's whole media-type dicts, so list the rest again.
        "body": MediaTypeDict(
            {
                "*/*json": partial(JSONBodyValidator, cache=cache, max_depth=max_depth),
                "application/x-www-form-urlencoded": FormDataValidator,
                "multipart/form-data": MultiPartFormDataValidator,
            }
        ),
        "response": MediaTypeDict(
            {
                "*/*json": partial(JSONResponseValidator, cache=cache),
                "text/plain": TextResponseBodyValidator,
            }
        ),
    }


# --- security ----------------------------------------------------------------------


def key_handler(allowed: tuple[str, ...]) -> type[ApiKeySecurityHandler]:
    """A connexion security handler accepting `allowed` keys (any non-empty key if none)."""
    check = key_check(allowed)

    class KeyHandler(ApiKeySecurityHandler):  # type: ignore[misc]
        # connexion asks inspect.signature of `check` twice per request; the answer is fixed.
        _accepts_kwarg = staticmethod(functools.cache(ApiKeySecurityHandler._accepts_kwarg))

        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return check

    return KeyHandler
