"""The document's operations, compiled once: parameters (with their serialization style),
request body, documented answers (exact status, `4XX` range, `default`) and security.

Everything a request or an answer is checked against, with the document's `$ref`s
followed once here (schema refs stay: `Spec.compile` resolves them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from apicontract.spec import Spec, inlined

# The operations a path item may hold, in the order OpenAPI lists them.
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# A parameter's default style per location (OpenAPI 3: "Style Values").
DEFAULT_STYLE = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashed by identity, a dict key
class Parameter:
    where: str  # path, query, header or cookie
    name: str
    schema: Any
    required: bool
    style: str
    explode: bool
    # `content` instead of `schema`: the value is a document of that media type (JSON).
    media: str | None = None
    # The handler's keyword argument: the name snake_cased, as connexion's pythonic_params
    # makes it (both engines call a handler alike); set once, read on every call.
    arg: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "arg", self.arg or argument_name(self.name))

    @property
    def key(self) -> str:
        """How the value is looked up: header names are case-insensitive."""
        return self.name.lower() if self.where == "header" else self.name


@dataclass(frozen=True, slots=True)
class Body:
    schemas: dict[str, Any]  # media type (lower case) -> its schema (None when unsaid)
    required: bool

    @property
    def media(self) -> tuple[str, ...]:
        return tuple(self.schemas)


@dataclass(frozen=True, slots=True)
class Answer:
    """One documented answer: its media types and schemas, and its headers."""

    schemas: dict[str, Any]  # media type (lower case) -> its schema (None when unsaid)
    headers: dict[str, dict[str, Any]]  # name -> the header object
    # media type -> its examples by name (`example` alone is named "default")
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def media(self) -> frozenset[str]:
        return frozenset(self.schemas)

    @property
    def media_order(self) -> tuple[str, ...]:
        """The media types in the document's order (the first is the default)."""
        return tuple(self.schemas)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(n for n, h in self.headers.items() if h.get("required"))


@dataclass(frozen=True, slots=True)
class Scheme:
    """A security scheme an operation accepts: apiKey (in header, query or cookie), or
    http (bearer / basic), as `securitySchemes` says."""

    kind: str  # apiKey, http, oauth2, openIdConnect, mutualTLS
    where: str  # header, query or cookie
    name: str  # the header, parameter or cookie carrying the credential
    scheme: str = ""  # http: bearer or basic


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    method: str  # upper case
    template: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    answers: dict[str, Answer]  # "200", "4XX", "default"
    # Alternatives, each a set of schemes to satisfy together; () when none is asked.
    security: tuple[tuple[Scheme, ...], ...]

    def answer_for(self, status: int) -> Answer | None:
        """The documented answer for `status`: the exact code, else its range, else default."""
        answers = self.answers
        return (
            answers.get(str(status))
            or answers.get(f"{str(status)[0]}XX")
            or answers.get(f"{str(status)[0]}xx")
            or answers.get("default")
        )

    @property
    def query_names(self) -> frozenset[str]:
        """The query parameters it declares, and the API keys it takes in the query."""
        return frozenset(p.name for p in self.parameters if p.where == "query") | frozenset(
            s.name for alternative in self.security for s in alternative if s.where == "query"
        )


# Per spec, compiled once: the mock's app and its public API both read them.
_compiled: WeakKeyDictionary[Spec, tuple[Operation, ...]] = WeakKeyDictionary()


def operations_of(spec: Spec) -> tuple[Operation, ...]:
    """Every operation of the document, in its order."""
    found = _compiled.get(spec)
    if found is None:
        found = _compiled[spec] = _compile(spec)
    return found


def _compile(spec: Spec) -> tuple[Operation, ...]:
    document = spec.raw
    schemes = _schemes(document)
    found = []
    for template, raw_item in (document.get("paths") or {}).items():
        item = inlined(document, raw_item)
        shared = item.get("parameters", [])
        for method in METHODS:
            raw = item.get(method)
            if isinstance(raw, dict):
                found.append(_operation(document, schemes, template, method, raw, shared))
    return tuple(found)


def _operation(
    document: Any,
    schemes: dict[str, Scheme],
    template: str,
    method: str,
    raw: dict[str, Any],
    shared: list[dict[str, Any]],
) -> Operation:
    own = raw.get("parameters", [])
    named = {(p["in"], p["name"]) for p in own}
    # The operation's own parameters override the path item's of the same name and place.
    declared = [
        p
        for p in [*own, *(p for p in shared if (p["in"], p["name"]) not in named)]
        # OpenAPI: these header parameters "SHALL be ignored" (content negotiation and
        # security say them); judging them refused every client's `Accept: */*`.
        if not (p["in"] == "header" and str(p["name"]).lower() in _IGNORED_HEADERS)
    ]
    body = raw.get("requestBody")
    requirements = raw.get("security", document.get("security")) or []
    return Operation(
        id=raw.get("operationId") or f"{method.upper()} {template}",
        method=method.upper(),
        template=template,
        parameters=tuple(_parameter(p) for p in declared),
        body=None
        if not isinstance(body, dict)
        else Body(_schemas(body.get("content")), bool(body.get("required"))),
        answers={
            str(status): Answer(
                _schemas(answer.get("content")),
                answer.get("headers") or {},
                _examples(answer.get("content")),
            )
            for status, answer in (raw.get("responses") or {}).items()
            if isinstance(answer, dict)
        },
        security=tuple(
            tuple(schemes[name] for name in requirement if name in schemes)
            for requirement in requirements
            if isinstance(requirement, dict)
        ),
    )


_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def _parameter(raw: dict[str, Any]) -> Parameter:
    where = raw["in"]
    style = raw.get("style") or DEFAULT_STYLE.get(where, "simple")
    content: dict[str, Any] = raw.get("content") or {}
    media, entry = next(iter(content.items()), (None, None))
    return Parameter(
        where=where,
        name=raw["name"],
        schema=(entry or {}).get("schema", {}) if content else raw.get("schema", {}),
        # Path parameters are always required (OpenAPI 3).
        required=bool(raw.get("required")) or where == "path",
        style=style,
        explode=bool(raw.get("explode", style == "form")),
        media=media,
    )


def _schemas(content: Any) -> dict[str, Any]:
    if not isinstance(content, dict):
        return {}
    return {
        str(media).lower(): (entry or {}).get("schema") if isinstance(entry, dict) else None
        for media, entry in content.items()
    }


def _examples(content: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(content, dict):
        return {}
    found: dict[str, dict[str, Any]] = {}
    for media, entry in content.items():
        if not isinstance(entry, dict):
            continue
        named = {
            str(name): example["value"]
            for name, example in (entry.get("examples") or {}).items()
            if isinstance(example, dict) and "value" in example
        }
        if "example" in entry:
            named.setdefault("default", entry["example"])
        if named:
            found[str(media).lower()] = named
    return found


def _schemes(document: Any) -> dict[str, Scheme]:
    declared = ((document.get("components") or {}).get("securitySchemes")) or {}
    found = {}
    for name, raw in inlined(document, declared).items():
        kind = raw.get("type", "")
        if kind == "apiKey":
            found[name] = Scheme(kind, raw.get("in", "header"), raw.get("name", ""))
        elif kind == "http":
            found[name] = Scheme(kind, "header", "authorization", raw.get("scheme", "").lower())
        else:
            found[name] = Scheme(kind, "header", "authorization")
    return found


def argument_name(name: str) -> str:
    """A parameter's name as a Python keyword argument (`Last-Event-ID` -> `last_event_id`)."""
    return name.replace("-", "_").lower()
