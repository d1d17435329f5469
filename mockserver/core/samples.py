"""Data made from a schema (OpenAPI 3.0 or 3.1), deterministic for a given random source.
Pure: the document is only read, the random source is the caller's.

What is made is meant to be valid: `nullable` and 3.1 type lists (the non-null type is
chosen), `allOf` merged, `anyOf`/`oneOf` one option (its discriminator value set, from
the mapping when there is one), enums, `const`, formats, bounds, lengths, patterns (a
small regex walker), required properties. Recursion is bounded: past `depth` levels only
what is required is made. The caller checks the result against the schema anyway (a
`oneOf` whose options overlap cannot be met by construction) and may draw again.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver.core import patterns

MAX_DEPTH = 6  # below this, optional properties and array items are left out
HARD_DEPTH = 40  # a chain of required recursive properties has no finite instance
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_NUMBER_SPAN = 1000

Fits = Callable[[Any, Any], bool]


class Unsatisfiable(ValueError):
    """The schema asks for an instance that cannot be made (infinite required recursion)."""


class Unmatched(Unsatisfiable):
    """A string the schema requires matches a `pattern` no draw could match (syntax the
    pattern reader lacks, or lengths the pattern cannot meet)."""

    def __init__(self, pattern: str) -> None:
        super().__init__(f"no string made matches the pattern {pattern!r}")
        self.pattern = pattern


class Sampler:
    def __init__(self, document: Mapping[str, Any], rng: random.Random) -> None:
        self.document = document
        self.rng = rng

    # --- entry -----------------------------------------------------------------------

    def sample(
        self, schema: Any, hints: Mapping[str, Any] | None = None, fits: Fits | None = None
    ) -> Any:
        """An instance of `schema`; where a property's name is in `hints` and the hint
        `fits` that property's schema, the hint is used (a request's values reflected)."""
        return self._make(schema, 0, _by_loose_name(hints or {}), fits)

    def _make(self, schema: Any, depth: int, hints: Mapping[str, Any], fits: Fits | None) -> Any:
        if depth > HARD_DEPTH:
            raise Unsatisfiable("recursion without end")
        schema = self.resolved(schema)
        if schema is True or schema is None:
            return "string"
        if schema is False:
            raise Unsatisfiable("false schema")
        if "const" in schema:
            return schema["const"]
        if "allOf" in schema:
            return self._make(self._merged(schema), depth, hints, fits)
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            return self._option(schema, options, depth, hints, fits)
        enum = schema.get("enum")
        if enum:
            usable = [v for v in enum if v is not None] or list(enum)
            return self.rng.choice(usable)
        kind = _kind(schema)
        if kind == "null":
            return None
        if kind == "object":
            return self._object(schema, depth, hints, fits)
        if kind == "array":
            return self._array(schema, depth, fits)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self._string(schema)

    def resolved(self, schema: Any) -> Any:
        """`schema` with its local `$ref` followed (siblings of a 3.1 `$ref` kept)."""
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            target = _pointed(self.document, schema["$ref"])
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings and isinstance(target, dict) else target
            seen += 1
            if seen > 64:
                raise Unsatisfiable(f"$ref loop at {schema.get('$ref')}")
        return schema

    # --- composition -----------------------------------------------------------------

    def _merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`allOf` folded into one schema: properties and required united, the rest from
        the first part saying it (the base schema's discriminator is dropped: its value
        comes from the branch)."""
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for part in schema["allOf"]:
            part = self.resolved(part)
            if not isinstance(part, dict):
                continue
            if "allOf" in part:
                part = self._merged(part)
            for name, sub in (part.get("properties") or {}).items():
                properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
            required.extend(r for r in part.get("required") or [] if r not in required)
            for key, value in part.items():
                if key not in ("properties", "required", "discriminator"):
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        return merged

    def _option(
        self,
        schema: dict[str, Any],
        options: list[Any],
        depth: int,
        hints: Mapping[str, Any],
        fits: Fits | None,
    ) -> Any:
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and discriminator.get("propertyName"):
            return self._discriminated(schema, options, discriminator, depth, hints, fits)
        usable = [o for o in options if _kind(self.resolved(o)) != "null"] or options
        # The first option is the most likely to be the plain case; others when drawn.
        chosen = usable[0] if self.rng.random() < 0.7 else self.rng.choice(usable)
        rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        combined = rest.get("properties") or rest.get("required")
        for option in [chosen, *(o for o in usable if o is not chosen)]:
            try:
                if combined:
                    return self._make({"allOf": [rest, option]}, depth, hints, fits)
                return self._make(option, depth, hints, fits)
            except Unmatched as exc:
                unmatched = exc  # another option may not need that pattern
        raise unmatched

    def _discriminated(
        self,
        schema: dict[str, Any],
        options: list[Any],
        discriminator: dict[str, Any],
        depth: int,
        hints: Mapping[str, Any],
        fits: Fits | None,
    ) -> Any:
        name = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator.get("mapping") or {}
        by_ref = {ref: value for value, ref in mapping.items()}
        chosen = self.rng.choice(options)
        ref = chosen.get("$ref") if isinstance(chosen, dict) else None
        value = by_ref.get(ref) if ref else None
        if value is None and isinstance(ref, str):
            value = ref.rsplit("/", 1)[-1]  # the implicit mapping: the schema's name
        made = self._make(chosen, depth, hints, fits)
        if isinstance(made, dict) and value is not None:
            made[name] = value
        return made

    # --- kinds -----------------------------------------------------------------------

    def _object(
        self, schema: dict[str, Any], depth: int, hints: Mapping[str, Any], fits: Fits | None
    ) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        made: dict[str, Any] = {}
        for name, sub in properties.items():
            if name not in required and (depth >= MAX_DEPTH or _write_only(self.resolved(sub))):
                continue
            hint = hints.get(name, hints.get(_loose(name), _MISSING)) if hints else _MISSING
            if hint is not _MISSING and fits is not None and fits(sub, hint):
                made[name] = hint
                continue
            try:
                made[name] = self._make(sub, depth + 1, {}, fits)
            except Unmatched:
                if name in required:
                    raise  # an optional property whose pattern cannot be met is left out
        for name in required - set(made):
            made[name] = self._make(_extra(schema), depth + 1, {}, fits)
        cap = schema.get("maxProperties")
        if isinstance(cap, int):
            for name in [n for n in made if n not in required][: max(0, len(made) - cap)]:
                del made[name]
        floor = schema.get("minProperties")
        n = 0
        while isinstance(floor, int) and len(made) < floor and n < floor + 10:
            n += 1
            made[f"additionalProp{n}"] = self._make(_extra(schema), depth + 1, {}, fits)
        return made

    def _array(self, schema: dict[str, Any], depth: int, fits: Fits | None) -> list[Any]:
        low = int(schema.get("minItems") or 0)
        high = schema.get("maxItems")
        count = low if depth >= MAX_DEPTH else max(low, 1)
        if isinstance(high, int):
            count = min(count, high)
        items = schema.get("items", {})
        made: list[Any] = []
        for _ in range(count * 5 if schema.get("uniqueItems") else count):
            if len(made) == count:
                break
            try:
                value = self._make(items, depth + 1, {}, fits)
            except Unmatched:
                if len(made) >= low:
                    break  # fewer items: the pattern of an item cannot be met
                raise
            if not schema.get("uniqueItems") or value not in made:
                made.append(value)
        return made

    def _integer(self, schema: dict[str, Any]) -> int:
        low, high = _bounds(schema, integer=True)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first = -(-low // step) * step
            return first if first > high else self.rng.randrange(first, high + 1, step)
        return self.rng.randint(int(low), int(high))

    def _number(self, schema: dict[str, Any]) -> float | int:
        low, high = _bounds(schema, integer=False)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            return round(self.rng.uniform(low, high) / step) * step
        return round(self.rng.uniform(low, high), 2) if low < high else low

    def _string(self, schema: dict[str, Any]) -> str:
        made = self._formatted(schema.get("format"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and (made is None or not patterns.fits(pattern, made)):
            return self._patterned(schema, pattern)
        if made is None:
            made = self.rng.choice(_WORDS)
            if schema.get("minLength") or schema.get("maxLength") is not None:
                made = _fit_length(made, schema)
        return made

    def _formatted(self, fmt: Any) -> str | None:
        rng = self.rng
        moment = _EPOCH + timedelta(seconds=rng.randrange(0, 365 * 86400))
        made: dict[str, Callable[[], str]] = {
            "uuid": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "date-time": lambda: moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "date": lambda: moment.strftime("%Y-%m-%d"),
            "time": lambda: moment.strftime("%H:%M:%SZ"),
            "email": lambda: f"{rng.choice(_WORDS)}@example.com",
            "uri": lambda: f"https://example.com/{rng.choice(_WORDS)}",
            "url": lambda: f"https://example.com/{rng.choice(_WORDS)}",
            "uri-reference": lambda: f"/{rng.choice(_WORDS)}",
            "hostname": lambda: "example.com",
            "ipv4": lambda: f"192.0.2.{rng.randint(1, 254)}",
            "ipv6": lambda: f"2001:db8::{rng.randint(1, 0xFFFF):x}",
            "byte": lambda: base64.b64encode(rng.choice(_WORDS).encode()).decode(),
        }
        return made[fmt]() if isinstance(fmt, str) and fmt in made else None

    def _patterned(self, schema: dict[str, Any], pattern: str) -> str:
        """A string matching `pattern` and the lengths; else the schema's own example or
        default when one fits; else Unmatched (an optional property is then left out)."""
        low = int(schema.get("minLength") or 0)
        high = schema.get("maxLength")
        made = patterns.matching(pattern, self.rng, low, high if isinstance(high, int) else None)
        if made is not None:
            return made
        listed = schema.get("examples")  # 3.1: a list
        given = [schema.get("example"), schema.get("default"), *(listed or [])]
        for value in given:
            if isinstance(value, str) and _string_fits(schema, value):
                return value
        raise Unmatched(pattern)


def plausible(sampler: Sampler, schema: Any, value: Any) -> bool:
    """Whether `value` may stand for `schema` (type, enum, bounds, format): a cheap first
    judgment; the caller checks the whole instance."""
    try:
        schema = sampler.resolved(schema)
    except Unsatisfiable:
        return False
    if not isinstance(schema, dict):
        return True
    if "enum" in schema:
        return value in schema["enum"]
    if "const" in schema:
        return bool(value == schema["const"])
    kind = _kind(schema) if "type" in schema or "properties" in schema else None
    checks: dict[str | None, Callable[[], bool]] = {
        None: lambda: True,
        "string": lambda: isinstance(value, str) and _string_fits(schema, value),
        "integer": lambda: isinstance(value, int) and not isinstance(value, bool),
        "number": lambda: isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": lambda: isinstance(value, bool),
        "array": lambda: isinstance(value, list),
        "object": lambda: isinstance(value, dict),
        "null": lambda: value is None,
    }
    return checks.get(kind, lambda: True)()


def _string_fits(schema: dict[str, Any], value: str) -> bool:
    if len(value) < int(schema.get("minLength") or 0):
        return False
    high = schema.get("maxLength")
    if isinstance(high, int) and len(value) > high:
        return False
    if schema.get("format") == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    pattern = schema.get("pattern")
    # A pattern not readable here (None): the schema checker judges the whole answer.
    return not isinstance(pattern, str) or patterns.fits(pattern, value) is not False


_MISSING = object()


def _loose(name: str) -> str:
    """A name as forms and JSON spell it alike: `FriendlyName`, `friendly_name`."""
    return name.replace("_", "").replace("-", "").lower()


def _by_loose_name(hints: Mapping[str, Any]) -> Mapping[str, Any]:
    """The hints by their own names, and by their loose names where none clashes."""
    loose = {_loose(k): v for k, v in hints.items()}
    return {**loose, **hints}


_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def _kind(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "string"
    kind = schema.get("type")
    if isinstance(kind, list):
        real = [k for k in kind if k != "null"]
        return real[0] if real else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _write_only(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("writeOnly") is True


def _extra(schema: dict[str, Any]) -> Any:
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else {"type": "string"}


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[Any, Any]:
    """The inclusive range a number may take (3.0 boolean and 3.1 numeric exclusives)."""
    nudge = 1 if integer else 0.01
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_low, int | float) and not isinstance(ex_low, bool):
        low = ex_low + nudge
    elif ex_low is True and low is not None:
        low = low + nudge
    if isinstance(ex_high, int | float) and not isinstance(ex_high, bool):
        high = ex_high - nudge
    elif ex_high is True and high is not None:
        high = high - nudge
    if low is None:
        low = 0 if high is None or high >= 0 else high - _NUMBER_SPAN
    if high is None:
        high = low + _NUMBER_SPAN
    if integer:
        import math

        return math.ceil(low), math.floor(high)
    return low, high


def _fit_length(made: str, schema: dict[str, Any]) -> str:
    low = int(schema.get("minLength") or 0)
    high = schema.get("maxLength")
    made = made + "x" * max(0, low - len(made))
    return made[:high] if isinstance(high, int) else made


def _pointed(document: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise Unsatisfiable(f"external $ref {ref} is not followed")
    node = document
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise Unsatisfiable(f"$ref {ref} points at nothing") from exc
    return node
