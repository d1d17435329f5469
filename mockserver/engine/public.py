"""The public API (/v1), compiled from the spec once and served without connexion.

connexion re-derives per call what the spec fixes once: a router per layer, a new URI
parser and new validators per request, the handler's signature, the response's schema
(profiled: four fifths of a poll). Here each operation is compiled when the app is built:
its route, parameters (coerced and checked as connexion does), body, handler arguments
and documented answers. A call is one pass: route, injected faults, API key, parameters,
body, handler, answer checked against its schema, one write. The answers are the ones
connexion gave, case by case: tests/test_wire_golden.py replays a corpus recorded with
connexion's path, and tests/test_engines.py sends generated requests to both this and
the reference engine (`--engine connexion`). The control API (/_mock) and Swagger UI
stay connexion's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from apicontract.spec import Spec, inlined
from mockserver.engine import problems
from mockserver.engine.asgi import header, send_json
from mockserver.engine.asked import Asked, asked_of
from mockserver.engine.auth import key_check
from mockserver.engine.encoding import dumps
from mockserver.engine.injection import injected_fault
from mockserver.engine.problems import ApiError, ErrorItem, ValidationProblem
from mockserver.engine.routes import METHODS, Routes, route_of
from mockserver.engine.specification import SpecError
from mockserver.engine.validation import SchemaCache, conformance_errors, decode_body
from mockserver.state import MockState

Handler = Callable[..., Any]
_JSON = b"application/json"


@dataclass(frozen=True, slots=True)
class Param:
    where: str  # path, query or header
    name: str
    arg: str  # the handler's argument: the name, snake_cased as connexion's pythonic_params
    schema: dict[str, Any]
    required: bool

    def value(self, raw: str) -> Any:
        """`raw` read as the schema's type, as connexion's coerce_type does; a value that
        does not convert stays text, for the schema check to refuse."""
        kind = self.schema.get("type")
        try:
            if kind == "integer":
                return int(raw)
            if kind == "number":
                return float(raw)
        except ValueError:
            return raw
        if kind == "boolean" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return raw


@dataclass(frozen=True, slots=True)
class Documented:
    """One documented answer: its media types, JSON schema and required headers."""

    media: frozenset[str]
    schema: dict[str, Any] | None
    required_headers: tuple[str, ...]


class Endpoint:
    """One operation of the spec, compiled."""

    def __init__(
        self, spec: Spec, operation: dict[str, Any], shared: list[dict[str, Any]], handler: Handler
    ) -> None:
        document = spec.raw
        self.id: str = operation["operationId"]
        own = inlined(document, operation.get("parameters", []))
        named = {(p["in"], p["name"]) for p in own}
        # connexion lists an operation's own parameters, then the path item's.
        declared = [
            *own,
            *(p for p in inlined(document, shared) if (p["in"], p["name"]) not in named),
        ]
        self.params = tuple(
            Param(
                p["in"],
                p["name"],
                _pythonic(p["name"]),
                p.get("schema", {}),
                bool(p.get("required")),
            )
            for p in declared
            if p["in"] in ("path", "query", "header")
        )
        self.query_names = frozenset(p.name for p in self.params if p.where == "query")
        self.defaults = {
            p.arg: p.schema["default"]
            for p in self.params
            if p.where == "query" and "default" in p.schema
        }
        body = inlined(document, operation.get("requestBody"))
        self.body_media: tuple[str, ...] = tuple((body or {}).get("content", {}))
        self.body_schema = (
            body["content"][self.body_media[0]].get("schema") if body and self.body_media else None
        )
        self.body_required = bool(body and body.get("required"))
        self.answers: dict[str, Documented] = {}
        for status, answer in inlined(document, operation.get("responses", {})).items():
            content = answer.get("content", {})
            json_media = next((m for m in content if "json" in m), None)
            self.answers[str(status)] = Documented(
                frozenset(content),
                content[json_media].get("schema") if json_media else None,
                tuple(n for n, h in answer.get("headers", {}).items() if h.get("required")),
            )
        self.secured = bool(operation.get("security", document.get("security")))
        self.handler = handler
        signature = inspect.signature(handler).parameters
        self.accepts = frozenset(signature)
        self.takes_all = any(p.kind is p.VAR_KEYWORD for p in signature.values())

    def answer_for(self, status: int) -> Documented | None:
        return self.answers.get(str(status)) or self.answers.get("default")

    def wants(self, arg: str) -> bool:
        return self.takes_all or arg in self.accepts


def _handler(handlers: Mapping[str, Handler], operation: dict[str, Any], spec: Spec) -> Handler:
    found = handlers.get(operation.get("operationId", ""))
    if found is None:
        named = operation.get("operationId", "(no operationId)")
        raise SpecError(f"{spec.path}: the mock has no handler for operation {named}")
    return found


def _pythonic(name: str) -> str:
    return name.replace("-", "_").lower()


class PublicApi:
    """The ASGI app of /v1: every operation of the served spec, compiled."""

    def __init__(self, state: MockState, handlers: Mapping[str, Handler]) -> None:
        settings = state.settings
        self.state = state
        self.cache = SchemaCache(state.spec)
        self.check_key = key_check(settings.api_keys)
        self.validate_responses = settings.validate_responses
        self.max_depth = settings.max_json_depth
        self.unavailable = state.backend.unavailable
        self.routes = Routes(
            {
                template: {
                    method.upper(): Endpoint(
                        state.spec,
                        item[method],
                        item.get("parameters", []),
                        _handler(handlers, item[method], state.spec),
                    )
                    for method in METHODS
                    if method in item
                }
                for template, item in state.spec.raw["paths"].items()
            }
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        found = self._endpoint(scope)
        if found is None:
            await self._not_found(scope, send)
            return
        endpoint, path_params = found
        asked = asked_of(scope)
        try:
            fault = await injected_fault(self.state, asked, endpoint.id)
            if fault is not None:
                await send_json(send, *fault)
                return
            kwargs = self._arguments(endpoint, scope, path_params, asked)
            if endpoint.body_media:
                body = await self._body(endpoint, scope, receive)
                if endpoint.wants("body"):
                    kwargs["body"] = body
            result = await endpoint.handler(**kwargs)
        except ValidationProblem as exc:
            await send_json(send, *problems.validation_answer(exc))
            return
        except ApiError as exc:
            await send_json(send, *problems.api_error_answer(exc))
            return
        except Exception as exc:
            await send_json(send, *self._failure(exc))
            return
        await self._send_result(endpoint, result, scope, receive, send)

    def _endpoint(self, scope: Any) -> tuple[Endpoint, dict[str, str]] | None:
        """The endpoint and its path parameters; None for an unknown path (the gate's
        method guard has answered 405 for a known path asked with a method it lacks)."""
        found = route_of(scope, self.routes)
        if found is None:
            return None
        _, by_method, params = found
        endpoint = by_method.get(scope["method"])
        return None if endpoint is None else (endpoint, params)

    async def _not_found(self, scope: Any, send: Any) -> None:
        path = scope["path"]
        bare = self.routes.find(path.rstrip("/"))
        if path.endswith("/") and bare is not None and scope["method"] in bare[1]:
            # As starlette's router: a trailing slash is redirected to the path without.
            location = _url(scope, path.rstrip("/")).encode("latin-1")
            headers = [(b"content-length", b"0"), (b"location", location)]
            await send({"type": "http.response.start", "status": 307, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send_json(send, 404, {"detail": "Not Found"})

    def _failure(self, exc: Exception) -> problems.Answer:
        if isinstance(exc, self.unavailable):
            return problems.unavailable_answer(exc)
        return problems.unexpected_answer(exc)

    # --- the request ---------------------------------------------------------------

    def _arguments(
        self, endpoint: Endpoint, scope: Any, path_params: dict[str, str], asked: Asked
    ) -> dict[str, Any]:
        headers = scope["headers"]
        kwargs: dict[str, Any] = {}
        if endpoint.secured:
            user = self._user(headers)
            if endpoint.wants("user"):
                kwargs["user"] = user
        if endpoint.wants("asked"):
            kwargs["asked"] = asked
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given: dict[str, str] = dict(query)  # the last of repeated values, as connexion
        errors: list[ErrorItem] = [
            ErrorItem(["query", name], f"Unknown query parameter {name!r}", "extra_forbidden")
            for name in sorted(set(given) - endpoint.query_names)
        ]
        sources: dict[str, Mapping[str, str]] = {
            "query": given,
            "path": path_params,
            "header": _headers(headers),
        }
        kwargs.update(
            (arg, value) for arg, value in endpoint.defaults.items() if endpoint.wants(arg)
        )
        for where in ("query", "path", "header"):
            source = sources[where]
            for param in endpoint.params:
                if param.where != where:
                    continue
                raw = source.get(param.name.lower() if where == "header" else param.name)
                if raw is None:
                    if param.required:
                        errors.append(ErrorItem([where, param.name], "Field required", "missing"))
                    continue
                value = param.value(raw)
                errors.extend(self.cache.errors([where, param.name], param.schema, value))
                if endpoint.wants(param.arg):
                    kwargs[param.arg] = value
        if errors:
            raise ValidationProblem(errors)
        return kwargs

    def _user(self, headers: list[tuple[bytes, bytes]]) -> str:
        key = next((v.decode("latin-1") for k, v in headers if k == b"x-api-key"), None)
        if key is None:
            raise ApiError(401, problems.MISSING_KEY)
        token = self.check_key(key)
        if token is None:
            raise ApiError(401, problems.INVALID_KEY)
        return token["sub"]

    async def _body(self, endpoint: Endpoint, scope: Any, receive: Any) -> Any:
        mime, encoding = _content_type(scope["headers"], endpoint.body_media[0])
        if mime.lower() not in endpoint.body_media:
            detail = f"Invalid Content-type ({mime}), expected {list(endpoint.body_media)}"
            raise ValidationProblem([ErrorItem(["header", "content-type"], detail, "content_type")])
        raw = await _read(receive)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
        if not declared.isdigit() or not int(declared) or not raw:
            if endpoint.body_required:
                raise ValidationProblem(
                    [ErrorItem(["body"], "RequestBody is required", "value_error")]
                )
            return None
        body = decode_body(raw, encoding, self.max_depth)
        if body is None:
            if endpoint.body_required:
                raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
            return None
        if endpoint.body_schema is not None:
            errors = self.cache.errors(["body"], endpoint.body_schema, body)
            if errors:
                raise ValidationProblem(errors)
        return body

    # --- the answer ----------------------------------------------------------------

    async def _send_result(
        self, endpoint: Endpoint, result: Any, scope: Any, receive: Any, send: Any
    ) -> None:
        if not isinstance(result, dict | list | tuple):
            # A streaming response (the events call): an ASGI app of its own.
            media = getattr(result, "media_type", None)
            documented = endpoint.answer_for(getattr(result, "status_code", 200))
            if (
                self.validate_responses
                and documented
                and documented.media
                and media not in documented.media
            ):
                await send_json(
                    send, *problems.nonconforming_answer(f"Invalid Response Content-type ({media})")
                )
                return
            await result(scope, receive, send)
            return
        body, status, extra = (*result, {})[:3] if isinstance(result, tuple) else (result, 200, {})
        if self.validate_responses:
            problem = self._nonconformity(endpoint, status, body, extra)
            if problem is not None:
                await send_json(send, *problems.nonconforming_answer(problem))
                return
        raw = dumps(body) + b"\n"
        headers = [
            (b"content-type", _JSON),
            (b"content-length", str(len(raw)).encode()),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})

    def _nonconformity(
        self, endpoint: Endpoint, status: int, body: Any, headers: Mapping[str, str]
    ) -> str | None:
        documented = endpoint.answer_for(status)
        if documented is None:
            return None
        if documented.media and "application/json" not in documented.media:
            expected = sorted(documented.media)
            return f"Invalid Response Content-type (application/json), expected {expected}"
        given = {k.lower() for k in headers}
        missing = [h for h in documented.required_headers if h.lower() not in given]
        if missing:
            return f"Keys in response header don't match the spec: missing {missing}"
        if documented.schema is None:
            return None
        return conformance_errors(self.cache, documented.schema, body)


def _url(scope: Any, path: str) -> str:
    """The URL of `path` on the host the request named (starlette's URL(scope=...))."""
    host = header(scope, b"host")
    if host is None:
        name, port = scope.get("server") or ("localhost", None)
        default = {"http": 80, "https": 443}.get(scope.get("scheme", "http"))
        host = name if port in (None, default) else f"{name}:{port}"
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")


def _headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers by lower-case name, the first of repeated ones (as starlette)."""
    found: dict[str, str] = {}
    for key, value in headers:
        found.setdefault(key.decode("latin-1"), value.decode("latin-1"))
    return found


def _content_type(headers: list[tuple[bytes, bytes]], default: str) -> tuple[str, str]:
    """(mime type, charset) as connexion splits them: parameters are not stripped, so
    only `type;charset=x` names a charset; no header means the operation's first type."""
    raw = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), None)
    if raw is None:
        return default, "utf-8"
    mime, _, parameters = raw.partition(";")
    encoding = next(
        (p[len("charset=") :] for p in parameters.split(";") if p.startswith("charset=")), None
    )
    return mime, encoding or "utf-8"


async def _read(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
