"""connexion, stock, through its documented extension points only.

Nothing here subclasses connexion's internals or calls its private functions, so any
connexion 3 whose documented API holds will do (pyproject.toml takes a range):
- `validator_map` (docs: Validation, "Custom validators"): request and response body
  validators subclassing `AbstractRequestBodyValidator` / `AbstractResponseBodyValidator`
  and overriding the `_parse` / `_validate` hooks the docs' example overrides, and a
  `ParameterValidator` whose public `validate_request` reports every error. Each keeps
  the constructor arguments it needs itself; all check with validation.py's schemas, so
  connexion's 422s are word for word the compiled engine's.
- security: the spec's apiKey scheme gets an `x-apikeyInfoFunc` (docs: Security) naming
  `api_key_info`, which checks keys with auth.py's check of the app being called.
- handlers: a `Resolver` onto the same handler objects the compiled engine calls. connexion
  passes path and query parameters, `body` and `user` as keyword arguments; `receiving`
  adds what it does not pass (header parameters, and the request's `asked`, read from the
  documented `connexion.context`).
- `FastJsonifier`: the documented `jsonifier` argument, on orjson.
Errors are answered by errors.py through `add_error_handler`.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import partial
from typing import Any

from connexion import context
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    FormDataValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)

from apicontract.operations import METHODS, argument_name
from apicontract.problems import ErrorItem, ValidationProblem
from apicontract.responses import body_problem
from apicontract.spec import inlined
from mockserver.engine.arguments import Takes
from mockserver.engine.asked import asked_of
from mockserver.engine.auth import key_check
from mockserver.engine.encoding import dumps
from mockserver.engine.generic import Payload
from mockserver.engine.reply import Reply
from mockserver.engine.validation import (
    SchemaCache,
    decode_answer,
    decode_body,
)

Handler = Callable[..., Any]


class FastJsonifier(Jsonifier):  # type: ignore[misc]
    """connexion's Jsonifier (handler results -> body text) on orjson."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        if kwargs:
            return str(super().dumps(data, **kwargs))
        return dumps(data).decode() + "\n"


# --- handlers ----------------------------------------------------------------------


def receiving(handler: Handler, operation: Mapping[str, Any], document: Any) -> Handler:
    """`handler` as connexion calls it. connexion passes the path and query parameters,
    `body` and `user` that the signature names; the header parameters the handler takes
    (`Last-Event-ID` as `last_event_id`, as the compiled engine passes them) and `asked`
    are added here from the request, so both engines call the handler alike."""
    headers = {
        argument_name(p["name"]): p["name"]
        for p in inlined(document, operation.get("parameters", []))
        if p["in"] == "header"
    }
    signature = inspect.signature(handler)  # the one connexion reads, below
    takes = Takes.of(handler)
    # A handler taking **kwargs (answers from the document) gets every argument.
    named = {*headers, "asked"} if takes.everything else takes.names
    added = {name for name in named if name in headers or name == "asked"}
    takes_body = takes.wants("body")

    async def call(**kwargs: Any) -> Any:
        if "asked" in added:
            kwargs["asked"] = asked_of(context.scope)
        for arg, name in headers.items():
            value = context.request.headers.get(name)
            if arg in added and value is not None:
                kwargs[arg] = value
        if takes_body and isinstance(kwargs.get("body"), bytes):
            kwargs["body"] = _json(kwargs["body"], context.request.headers.get("content-type"))
        result = await handler(**kwargs)
        # A Reply (or a document's non-JSON Payload) is connexion's (body, status, headers).
        return result.as_connexion() if isinstance(result, Reply | Payload) else result

    # connexion reads this signature (no __wrapped__: it would read the handler's) to
    # choose what it passes: not what is added here.
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name not in added]
    )
    call.__name__ = call.__qualname__ = getattr(handler, "__name__", "handler")
    return call


def _json(raw: bytes, content_type: str | None) -> Any:
    """A body connexion hands over as bytes, read as the JSON its validator checked.

    connexion validates a body without Content-Type as the operation's first media type
    (docs: Validation) and a JSON type in any letter case, but hands the handler bytes
    for both (its JSON test is case-sensitive). The compiled engine reads both as JSON.
    """
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        if part.startswith("charset=") and len(part) > len("charset="):
            charset = part[len("charset=") :]  # unstripped, as connexion's validator reads it
    return json.loads(raw.decode(charset)) if raw else None


def handlers_of(document: Any, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """Every operation's handler, as `receiving` hands it to connexion, by operationId: the
    one bound to its method and path template, else to its operationId."""
    found: dict[str, Handler] = {}
    for template, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            name = operation.get("operationId") if isinstance(operation, dict) else None
            if name is None:
                continue
            bound = handlers.get(f"{method.upper()} {template}") or handlers.get(name)
            if bound is not None:
                found[name] = receiving(bound, operation, document)
    return found


# --- security ------------------------------------------------------------------------

KEY_INFO = f"{__name__}.api_key_info"
# The key check of the app serving the request (the apps of one process may differ).
_key_check: ContextVar[Callable[..., dict[str, str] | None]] = ContextVar("key_check")


def api_key_info(apikey: str, required_scopes: Any = None) -> dict[str, str] | None:
    """connexion's `x-apikeyInfoFunc`: the token info of an accepted key, None otherwise."""
    return _key_check.get()(apikey, required_scopes)


def with_key_info(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` whose apiKey schemes name `api_key_info` (docs: Security)."""
    copied = copy.deepcopy(document)
    schemes = copied.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey":
            scheme["x-apikeyInfoFunc"] = KEY_INFO
    return copied


class Keyed:
    """An ASGI app calling `app` with `allowed` as the keys `api_key_info` accepts."""

    def __init__(self, app: Any, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.check = key_check(allowed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        _key_check.set(self.check)
        await self.app(scope, receive, send)


# --- validators ------------------------------------------------------------------


class JSONBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    def __init__(
        self,
        *,
        schema: dict[str, Any],
        required: bool = False,
        encoding: str,
        cache: SchemaCache,
        max_depth: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema=schema, required=required, encoding=encoding, **kwargs)
        self.schema, self.required, self.encoding = schema, required, encoding
        self.cache, self.max_depth = cache, max_depth

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        return decode_body(raw, self.encoding, self.max_depth)

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if not self.required:
                return None  # an optional body may be left out: `curl -X POST /_mock/reset`
            raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
        errors = self.cache.errors(["body"], self.schema, body)
        if errors:
            raise ValidationProblem(errors)
        return None


class AllErrorsParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Every parameter error at once (connexion's stops at the first)."""

    def __init__(self, *args: Any, cache: SchemaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = cache

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
                    errors.extend(self.errors_of(where, param, read(param)))
        if errors:
            raise ValidationProblem(errors)

    def errors_of(self, where: str, param: dict[str, Any], value: Any) -> Iterable[ErrorItem]:
        if value is None:
            if param.get("required"):
                return [ErrorItem([where, param["name"]], "Field required", "missing")]
            return []
        if "schema" not in param:
            return []
        return self.cache.errors([where, param["name"]], param["schema"], value)


class JSONResponseValidator(AbstractResponseBodyValidator):  # type: ignore[misc]
    def __init__(
        self, scope: Any, *, schema: dict[str, Any], encoding: str, cache: SchemaCache, **kw: Any
    ) -> None:
        super().__init__(scope, schema=schema, encoding=encoding, **kw)
        self.schema, self.encoding, self.cache = schema, encoding, cache

    def _parse(self, stream: Iterable[bytes]) -> Any:
        raw = b"".join(stream)
        if not raw:
            return None
        try:
            return decode_answer(raw, self.encoding)
        except ValueError as exc:
            raise NonConformingResponseBody(f"Response body is not JSON: {exc}") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        problem = body_problem(self.cache, self.schema, body)
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
