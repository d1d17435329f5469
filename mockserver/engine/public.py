"""The public API (/v1), compiled from the spec once and served without connexion.

connexion re-derives per call what the spec fixes once: a router per layer, a new URI
parser and new validators per request, the handler's signature, the response's schema
(profiled: four fifths of a poll). Here each operation is compiled when the app is built:
its route, parameters, body and documented answers (the contract core's: apicontract's
router, request validator and response checker, which the suite and the proxy share),
and its handler's arguments. A call is one pass: route, injected faults, API key, parameters,
body, handler, answer checked against its schema, one write. The answers are the ones
connexion gave, case by case: tests/test_wire_golden.py replays a corpus recorded with
connexion's path, and tests/test_engines.py sends generated requests to both this and
the reference engine (`--engine connexion`). The control API (/_mock) and Swagger UI
stay connexion's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from apicontract.operations import Operation, operations_of
from apicontract.parameters import Shapes, cookies, header_values
from apicontract.problems import ValidationProblem
from apicontract.requests import RequestValidator, media_type
from apicontract.responses import ResponseChecker
from apicontract.router import Routes, by_template, route_of
from mockserver.engine import problems
from mockserver.engine.arguments import Takes
from mockserver.engine.asgi import header, send_json
from mockserver.engine.asked import Asked, asked_of
from mockserver.engine.auth import http_secret, key_check
from mockserver.engine.caveats import caveats
from mockserver.engine.encoding import dumps
from mockserver.engine.generic import DocumentHandler, GenericAnswers
from mockserver.engine.injection import injected_fault
from mockserver.engine.problems import ApiError
from mockserver.engine.reply import Reply, send_reply
from mockserver.engine.statuses import declared
from mockserver.state import MockState

Handler = Callable[..., Any]
logger = logging.getLogger("mockserver")
_JSON = b"application/json"


class Endpoint:
    """One operation of the spec, with its handler: what the handler takes, by name."""

    def __init__(self, operation: Operation, handler: Handler, shapes: Shapes) -> None:
        self.operation = operation
        self.id = operation.id
        self.defaults = {
            p.arg: shapes.resolved(p.schema)["default"]
            for p in operation.parameters
            if p.where == "query" and "default" in shapes.resolved(p.schema)
        }
        self.key = next(
            (s for alternative in operation.security for s in alternative if s.kind == "apiKey"),
            None,
        )
        # Without an API key: an HTTP credential (bearer, basic; OAuth2 sends a bearer).
        self.http = None
        if self.key is None:
            self.http = next((s for a in operation.security for s in a), None)
        # An empty alternative (`- {}`) makes the credential optional.
        self.secured = bool(operation.security) and all(operation.security)
        self.handler = handler
        # Answered from the document: errors too take its shapes (not the Noxus API's).
        self.from_document = isinstance(handler, DocumentHandler)
        # A behaviour's answers whose schema requires fields it may not produce.
        self.filled = not self.from_document
        self.required: dict[int, tuple[str, ...]] = {}  # by status, read once
        self.takes = Takes.of(handler)

    def wants(self, arg: str) -> bool:
        return self.takes.wants(arg)


def _handler(
    handlers: Mapping[str, Handler], operation: Operation, answers: GenericAnswers
) -> Handler:
    """The operation's handler, bound by method and path template (a regenerated document
    keeps it) or by operationId; else the generic answer."""
    found = handlers.get(f"{operation.method} {operation.template}") or handlers.get(operation.id)
    return found if found is not None else answers.handler(operation)


class PublicApi:
    """The ASGI app of /v1: every operation of the served spec, compiled."""

    def __init__(
        self,
        state: MockState,
        handlers: Mapping[str, Handler],
        answers: GenericAnswers | None = None,
    ) -> None:
        settings = state.settings
        self.state = state
        self.validator = RequestValidator(state.spec, max_depth=settings.max_json_depth)
        self.checker = ResponseChecker(schemas=self.validator.schemas)
        self.check_key = key_check(settings.api_keys)
        self.validate_responses = settings.validate_responses
        self.unavailable = state.backend.unavailable
        shapes = self.validator.shapes
        operations = operations_of(state.spec)
        answers = answers or GenericAnswers(state.spec.raw, self.checker, settings.seed)
        self.answers = answers
        self.routes = Routes(
            {
                template: {
                    method: Endpoint(
                        operation,
                        _handler(handlers, operation, answers),
                        shapes,
                    )
                    for method, operation in by_method.items()
                }
                for template, by_method in by_template(operations).items()
            }
        )
        for line in [
            *unused_parameters(self.routes),
            *undocumented_statuses(self.routes),
            *caveats(state.spec.raw),
        ]:
            logger.warning("%s", line)

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
                await send_reply(send, fault)
                return
            kwargs = self._arguments(endpoint, scope, path_params, asked)
            if endpoint.operation.body is not None:
                body = await self._body(endpoint, scope, receive)
                if endpoint.wants("body"):
                    kwargs["body"] = body
            result = await endpoint.handler(**kwargs)
        except ValidationProblem as exc:
            await send_reply(send, self._shaped(endpoint, problems.validation_answer(exc)))
            return
        except ApiError as exc:
            await send_reply(send, self._shaped(endpoint, problems.api_error_answer(exc)))
            return
        except Exception as exc:
            await send_reply(send, self._failure(exc))
            return
        await self._send_result(endpoint, result, scope, receive, send)

    def _shaped(self, endpoint: Endpoint, answer: problems.Answer) -> problems.Answer:
        if not endpoint.from_document:
            return answer
        body, status = self.answers.error(endpoint.operation, answer.status, answer.body)
        return Reply(body, status, answer.headers)

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
        headers = header_values(scope["headers"])
        kwargs: dict[str, Any] = {}
        if endpoint.secured:
            user = self._user(endpoint, headers, scope)
            if endpoint.wants("user"):
                kwargs["user"] = user
        if endpoint.wants("asked"):
            kwargs["asked"] = asked
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        values, errors = self.validator.parameters(endpoint.operation, path_params, query, headers)
        if errors:
            raise ValidationProblem(errors)
        kwargs.update(
            (arg, value) for arg, value in endpoint.defaults.items() if endpoint.wants(arg)
        )
        for param, value in values.items():
            arg = param.arg
            if endpoint.wants(arg):
                kwargs[arg] = value
        return kwargs

    def _user(self, endpoint: Endpoint, headers: Mapping[str, str], scope: Any) -> str:
        """The caller, from the API key the operation's security scheme names, or from
        its HTTP credential (checked as a key: auth.http_secret)."""
        if endpoint.http is not None:
            kind = endpoint.http.scheme or "bearer"
            given, _, credential = (headers.get("authorization") or "").partition(" ")
            if given.lower() != kind or not credential.strip():
                raise ApiError(401, f"Missing {kind.capitalize()} credential in Authorization")
            secret = http_secret(kind, credential.strip())
            if secret is None or self.check_key(secret) is None:
                raise ApiError(401, f"Invalid {kind.capitalize()} credential in Authorization")
            return credential.strip()
        scheme = endpoint.key
        if scheme is None or scheme.where == "header":
            key = headers.get(scheme.name.lower() if scheme else "x-api-key")
        elif scheme.where == "query":
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            key = next((v for k, v in query if k == scheme.name), None)
        else:
            key = cookies(headers.get("cookie")).get(scheme.name)
        if key is None:
            raise ApiError(401, problems.MISSING_KEY)
        token = self.check_key(key)
        if token is None:
            raise ApiError(401, problems.INVALID_KEY)
        return token["sub"]

    async def _body(self, endpoint: Endpoint, scope: Any, receive: Any) -> Any:
        content_type = header(scope, b"content-type")
        declared = endpoint.operation.body
        if declared is not None and declared.schemas:
            # The content type is checked before the body is read.
            mime = media_type(content_type, declared.media[0])[0]
            if mime not in declared.schemas:
                return self.validator.body(endpoint.operation, content_type, b"")
        raw = await _read(receive)
        length = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
        if not length.isdigit() or not int(length):
            raw = b""  # as connexion: a body without a length is not read
        return self.validator.body(endpoint.operation, content_type, raw)

    # --- the answer ----------------------------------------------------------------

    async def _send_result(
        self, endpoint: Endpoint, result: Any, scope: Any, receive: Any, send: Any
    ) -> None:
        if not isinstance(result, dict | list | tuple | Reply):
            # A streaming response (the events call): an ASGI app of its own.
            media = getattr(result, "media_type", None)
            documented = endpoint.operation.answer_for(getattr(result, "status_code", 200))
            if (
                self.validate_responses
                and documented
                and documented.media
                and media not in documented.media
            ):
                wrong = f"Invalid Response Content-type ({media})"
                await send_reply(send, problems.nonconforming_answer(wrong))
                return
            await result(scope, receive, send)
            return
        # A behaviour's Reply, or a document-served answer's (body, status, headers).
        reply = (
            result
            if isinstance(result, Reply)
            else Reply(*result)
            if isinstance(result, tuple)
            else Reply(result)
        )
        body, status, extra = reply.body, reply.status, reply.headers
        if endpoint.filled and isinstance(body, dict):
            required = endpoint.required.get(status)
            if required is None:
                required = endpoint.required[status] = self.answers.required(
                    endpoint.operation, status
                )
            if required and not all(name in body for name in required):
                # The spec wins: required fields a behaviour does not produce are made.
                body = self.answers.filled(endpoint.operation, status, body)
        if self.validate_responses:
            problem = self._nonconformity(endpoint, status, body, extra)
            if problem is not None:
                await send_reply(send, problems.nonconforming_answer(problem))
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
        if endpoint.operation.answer_for(status) is None:
            return None  # an undocumented status is the suite's to judge, not a 500
        given = {k.lower(): v for k, v in headers.items()}
        found = self.checker.findings(endpoint.operation, status, "application/json", given, body)
        return found[0].message if found else None


# Read by the engine itself for every operation (asked.py, injection.py).
_ENGINE_READS = frozenset({"prefer"})


def unused_parameters(routes: Routes[dict[str, Endpoint]]) -> list[str]:
    """One line per parameter a behaviour receives but does not take: the document
    promises something the code ignores (a new or renamed parameter)."""
    lines = []
    for _, by_method in routes.table:
        for endpoint in by_method.values():
            if endpoint.from_document or endpoint.takes.everything:
                continue
            for param in endpoint.operation.parameters:
                arg = param.arg
                if arg not in endpoint.takes.names and param.key.lower() not in _ENGINE_READS:
                    lines.append(
                        f"{endpoint.operation.method} {endpoint.operation.template}: "
                        f"{param.where} parameter {param.name} is validated but not used"
                    )
    return lines


def undocumented_statuses(routes: Routes[dict[str, Endpoint]]) -> list[str]:
    """One line per behaviour that may answer statuses its operation does not list (a
    401 for a missing key; what the behaviour declares): a client generated from the
    document will not expect them."""
    lines, unlisted = [], []
    for _, by_method in routes.table:
        for endpoint in by_method.values():
            op = endpoint.operation
            if endpoint.from_document:
                if endpoint.secured and op.answer_for(401) is None:
                    unlisted.append(f"{op.method} {op.template}")
                continue
            may = declared(endpoint.handler) | ({401} if endpoint.secured else set())
            missing = sorted(s for s in may if op.answer_for(s) is None)
            if missing:
                listed = ", ".join(map(str, missing))
                lines.append(f"{op.method} {op.template}: may answer {listed}, not documented")
    if unlisted:  # one line: a public document (Twilio's) may list no 401 anywhere
        lines.append(
            f"{len(unlisted)} operation(s) answered from the document need a credential "
            f"and may answer 401, not documented (first: {unlisted[0]})"
        )
    return lines


def _url(scope: Any, path: str) -> str:
    """The URL of `path` on the host the request named (starlette's URL(scope=...))."""
    host = header(scope, b"host")
    if host is None:
        name, port = scope.get("server") or ("localhost", None)
        default = {"http": 80, "https": 443}.get(scope.get("scheme", "http"))
        host = name if port in (None, default) else f"{name}:{port}"
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")


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
