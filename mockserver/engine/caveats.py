"""What the document asks that the mock cannot honour as written, listed at start, one
line each with its JSON pointer: a `pattern` no string can be made for (syntax the
pattern reader lacks: an answer requiring such a string is a 501 unless an example
stands in), and an example's `externalValue` left unread (a URL is never fetched, a
file that is not text is not served; made data instead)."""

from __future__ import annotations

from typing import Any

from apicontract.document import escaped
from mockserver.core import patterns

# Keys whose values are instances, not schemas: a `pattern` there is data.
_DATA = frozenset({"example", "default", "enum", "const", "value"})


def caveats(document: Any) -> list[str]:
    lines: list[str] = []
    # (node, its place as a linked list of keys: spelled out only for a line, a walk of
    # a 2 MB document is then a hundredth of a second, named: its keys are names).
    stack: list[tuple[Any, Any, bool]] = [(document, None, False)]
    while stack:
        node, place, named = stack.pop()
        if isinstance(node, list):
            stack.extend(
                (v, (place, i), False) for i, v in enumerate(node) if isinstance(v, dict | list)
            )
            continue
        if not named:
            lines.extend(_found(node, place))
        for key, value in node.items():
            if isinstance(value, dict | list) and (
                named or (key not in _DATA and not str(key).startswith("x-"))
            ):
                # Under `properties` (and the like) keys are names: their values are schemas.
                holds_names = not named and key in _NAMES
                stack.append((value, (place, key), holds_names))
    return sorted(lines)


_NAMES = frozenset({"properties", "patternProperties", "$defs", "schemas", "definitions"})


def _found(node: dict[str, Any], place: Any) -> list[str]:
    found = []
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not patterns.readable(pattern):
        found.append(
            f"{_pointer(place)}/pattern: no string is made for the pattern {pattern!r} "
            "(an answer requiring one is a 501 unless an example stands in)"
        )
    external = node.get("externalValue")
    if isinstance(external, str):
        why = "a URL is never fetched" if "://" in external else "not a text file"
        found.append(
            f"{_pointer(place)}/externalValue: {external} not served ({why}): made data instead"
        )
    return found


def _pointer(place: Any) -> str:
    keys = []
    while place is not None:
        place, key = place
        keys.append(escaped(key))
    return "".join(f"/{k}" for k in reversed(keys))
