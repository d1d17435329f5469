"""The answer of an operation no behaviour serves, from the document alone.

In order: the status asked (`Prefer: code=N`, if documented) else the first documented
success; then the answer's examples (`Prefer: example=NAME` picks one), else data made
from its schema (mockserver/core/samples.py), with the request's values (path
parameters, body fields) reflected where names and types match. `Prefer: dynamic=true`
skips the examples and draws freely. The same request draws the same data (seeded by
`--seed`, the operation and the request). Whatever is sent passed the response checker:
an example that breaks its own schema is passed over for made data, and made data is
drawn again (at most `DRAWS` times) until it conforms. A required string whose `pattern`
no draw matches (syntax the pattern reader lacks) answers 501 naming the pattern, never an
invalid body; such patterns are listed at start (caveats.py).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apicontract.operations import Answer, Operation
from apicontract.responses import ResponseChecker
from mockserver.core.prefer import Preferences
from mockserver.core.samples import Sampler, Unmatched, Unsatisfiable, plausible
from mockserver.engine.asked import Asked
from mockserver.engine.encoding import dumps
from mockserver.engine.problems import ApiError

DRAWS = 6
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Payload:
    """A body that is not JSON (or none): sent as it is, after the media check."""

    status_code: int
    media_type: str | None
    raw: bytes
    headers: tuple[tuple[str, str], ...] = ()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-length", str(len(self.raw)).encode())]
        if self.media_type is not None:
            headers.append((b"content-type", self.media_type.encode("latin-1")))
        headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers)
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.raw})

    def as_connexion(self) -> tuple[bytes, int, dict[str, str]]:
        """The answer as connexion takes a handler's (body, status, headers)."""
        headers = dict(self.headers)
        if self.media_type is not None:
            headers["Content-Type"] = self.media_type
        return self.raw, self.status_code, headers


Result = tuple[Any, int, dict[str, str]] | Payload


class DocumentHandler:
    """A handler answering from the document (generic or inferred state), not a written
    behaviour: its error answers take the document's own error shapes too."""

    def __init__(self, serve: Callable[[dict[str, Any]], Awaitable[Any]]) -> None:
        self._serve = serve

    async def __call__(self, **kwargs: Any) -> Any:
        return await self._serve(kwargs)


class GenericAnswers:
    def __init__(self, document: Mapping[str, Any], checker: ResponseChecker, seed: Any) -> None:
        self.document = document
        self.checker = checker
        self.seed = seed
        # An example's verdict never changes: judged on first use, not on every request.
        self._examples: dict[tuple[int, str, str | None], tuple[str | None, Any]] = {}

    def handler(self, operation: Operation) -> DocumentHandler:
        """The handler of an operation nothing else serves: its generic answer, the
        request's parameters and body fields reflected."""

        async def answer(kwargs: dict[str, Any]) -> Any:
            asked: Asked = kwargs["asked"]
            values = {p.name: kwargs.get(p.arg) for p in operation.parameters}
            body = kwargs.get("body")
            hints = {**body, **values} if isinstance(body, dict) else values
            status = self.status_for(operation, asked.prefer)
            # A binary body (an upload) seeds by its digest: JSON cannot hold bytes.
            seen = hashlib.sha256(body).hexdigest() if isinstance(body, bytes) else body
            request = dumps([values, seen]).decode()
            return self.answer(operation, status, asked.prefer, hints, request)

        return DocumentHandler(answer)

    def status_for(self, operation: Operation, prefer: Preferences) -> int:
        """The status asked, if documented; else the first documented success."""
        if prefer.code is not None and operation.answer_for(prefer.code) is not None:
            return prefer.code
        return first_success(operation)

    def answer(
        self,
        operation: Operation,
        status: int,
        prefer: Preferences,
        hints: Mapping[str, Any],
        request: str,
    ) -> Result:
        """The answer for `status`: an example, else made data (`request` seeds it)."""
        documented = operation.answer_for(status)
        applied = _applied(prefer, status)
        if documented is None or not documented.schemas:
            return Payload(status, None, b"", _headers(applied))
        media = _media(documented)
        if not prefer.dynamic:
            name, example = self._example(operation, status, documented, media, prefer.example)
            if example is not _NONE:
                if name is not None and name == prefer.example:
                    applied = _applied(prefer, status, f"example={name}")
                return self._sent(status, media, example, applied)
        seed = None if prefer.dynamic else f"{self.seed}|{operation.id}|{status}|{request}"
        return self._drawn(operation, status, documented, media, hints, seed, applied)

    def error(self, operation: Operation, status: int, body: Any) -> tuple[Any, int]:
        """An error answer (a 422 the validator made, a 401) in the document's own shape
        where the document documents another: its message put where it has a place."""
        if status >= 500:
            return body, status  # the mock's own failure, in its own words
        documented = operation.answer_for(status)
        if status == 422 and operation.answer_for(422) is None:
            documented, status = operation.answer_for(400), 400
        schema = documented.schemas.get(_JSON) if documented else None
        if schema is None or self.conforms(operation, status, _JSON, body):
            return body, status
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list) and detail:
            detail = detail[0].get("msg") if isinstance(detail[0], dict) else str(detail[0])
        text = str(detail or "Invalid request")
        hints = {"code": status, "status": status, "message": text, "detail": text, "title": text}
        made = self.made(operation, status, hints, f"error {status} {text}")
        if isinstance(made, tuple) and self.conforms(operation, status, _JSON, made[0]):
            return made[0], status
        return body, status

    def filled(self, operation: Operation, status: int, body: dict[str, Any]) -> dict[str, Any]:
        """`body` with the required properties its answer's schema names but it lacks,
        made from their schemas (a field added to the document is served, not a 500)."""
        missing = self.required(operation, status)
        sampler = Sampler(self.document, random.Random(f"{self.seed}|{operation.id}|fill"))
        properties = self._properties(operation, status)
        made = dict(body)
        for name in missing:
            if name not in made:
                made[name] = sampler.sample(properties.get(name, {}))
        return made

    def required(self, operation: Operation, status: int) -> tuple[str, ...]:
        """The required properties of the answer, when it is a plain object."""
        return tuple(self._object_schema(operation, status).get("required") or ())

    def _properties(self, operation: Operation, status: int) -> dict[str, Any]:
        return dict(self._object_schema(operation, status).get("properties") or {})

    def _object_schema(self, operation: Operation, status: int) -> dict[str, Any]:
        """The answer's JSON schema when it is a plain object (else {}: not filled)."""
        documented = operation.answer_for(status)
        schema = documented.schemas.get(_JSON) if documented else None
        try:
            resolved = Sampler(self.document, random.Random(0)).resolved(schema)
        except Unsatisfiable:
            return {}
        if not isinstance(resolved, dict) or "properties" not in resolved:
            return {}
        return resolved

    def made(
        self, operation: Operation, status: int, hints: Mapping[str, Any], request: str
    ) -> Result:
        """The answer for `status` made from its schema (no example), `hints` reflected."""
        documented = operation.answer_for(status)
        if documented is None or not documented.schemas:
            return Payload(status, None, b"")
        seed = f"{self.seed}|{operation.id}|{status}|{request}"
        return self._drawn(operation, status, documented, _media(documented), hints, seed, {})

    def sampler(self, rng: random.Random) -> Sampler:
        return Sampler(self.document, rng)

    def _drawn(
        self,
        operation: Operation,
        status: int,
        documented: Answer,
        media: str,
        hints: Mapping[str, Any],
        seed: str | None,
        applied: dict[str, str],
    ) -> Result:
        sampler = Sampler(self.document, random.Random(seed))
        schema = documented.schemas.get(media)
        body: Any = None
        headers: dict[str, str] = {}
        for draw in range(DRAWS):
            # Reflected values first; if they do not fit, draws without them.
            try:
                body = sampler.sample(
                    schema,
                    hints if draw < DRAWS // 2 else {},
                    lambda s, v: plausible(sampler, s, v),
                )
                headers = _made_headers(sampler, documented)
            except Unmatched as exc:
                # The mock's limit, not the document's fault: said as such, never sent invalid.
                raise ApiError(
                    501,
                    f"Mock cannot make this answer's body: {exc}; give the answer an "
                    "example, or the property an example or default",
                ) from exc
            except Unsatisfiable as exc:
                # No finite instance (a required property recursing without end).
                raise ApiError(500, f"Mock cannot make this answer's body: {exc}") from exc
            if self.conforms(operation, status, media, body, headers):
                break
        return self._sent(status, media, body, {**applied, **headers})

    def conforms(
        self,
        operation: Operation,
        status: int,
        media: str,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        given = {k.lower(): v for k, v in (headers or {}).items()}
        return not self.checker.findings(operation, status, media, given, body)

    def _example(
        self, operation: Operation, status: int, answer: Answer, media: str, name: str | None
    ) -> tuple[str | None, Any]:
        """The example asked by name, else the first; (its name, its value), or _NONE
        as the value when none conforms (an example breaking its own schema is never
        sent: made data instead)."""
        # A name the document lacks is read as no name: clients cannot grow this memo.
        known = name if name in (answer.examples.get(media) or {}) else None
        key = (id(answer), media, known)
        chosen = self._examples.get(key)
        if chosen is None:
            chosen = self._examples[key] = self._conforming(operation, status, answer, media, known)
        return chosen

    def _conforming(
        self, operation: Operation, status: int, answer: Answer, media: str, name: str | None
    ) -> tuple[str | None, Any]:
        named = answer.examples.get(media) or {}
        candidates = [name] if name in named else list(named)
        for found in candidates:
            if self.conforms(operation, status, media, named[found], _required(answer)):
                return found, named[found]
        return None, _NONE

    def _sent(self, status: int, media: str, body: Any, headers: dict[str, str]) -> Result:
        if media == _JSON or media.endswith("+json"):
            if media == _JSON:
                return body, status, headers
            return Payload(status, media, dumps(body), tuple(headers.items()))
        raw = body.encode() if isinstance(body, str) else dumps(body)
        return Payload(status, media, raw, tuple(headers.items()))


_NONE = object()


def first_success(operation: Operation) -> int:
    codes = sorted(int(c) for c in operation.answers if c.isdigit())
    for code in codes:
        if 200 <= code < 300:
            return code
    if "2XX" in operation.answers or "2xx" in operation.answers or "default" in operation.answers:
        return 200
    return codes[0] if codes else 200


def _media(answer: Answer) -> str:
    for media in answer.media_order:
        if media == _JSON or media.endswith("+json"):
            return media
    return answer.media_order[0]


def _applied(prefer: Preferences, status: int, *more: str) -> dict[str, str]:
    tokens = [*more]
    if prefer.code == status:
        tokens.insert(0, f"code={status}")
    if prefer.dynamic:
        tokens.append("dynamic=true")
    return {"Preference-Applied": ", ".join(tokens)} if tokens else {}


def _headers(extra: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(extra.items())


def _required(answer: Answer) -> dict[str, str]:
    return dict.fromkeys(answer.required_headers, "x")


def _made_headers(sampler: Sampler, answer: Answer) -> dict[str, str]:
    """The answer's required headers, each made from its schema."""
    made = {}
    for name in answer.required_headers:
        value = sampler.sample((answer.headers[name] or {}).get("schema") or {"type": "string"})
        made[name] = value if isinstance(value, str) else dumps(value).decode()
    return made


def request_key(method: str, path: str, query: bytes, body: bytes | Any) -> str:
    """What identifies a request for the seed: the same request, the same data."""
    digest = hashlib.sha256(dumps(body) if not isinstance(body, bytes) else body)
    return f"{method} {path}?{query.decode('latin-1')}#{digest.hexdigest()[:16]}"
