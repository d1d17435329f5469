"""Request bodies decoded once: JSON in its declared charset (depth-bounded), and
`application/x-www-form-urlencoded` forms read into objects by their schema."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from apicontract.problems import ErrorItem, ValidationProblem

JSON_KINDS = ("application/json",)
FORM = "application/x-www-form-urlencoded"


def is_json(media: str) -> bool:
    """`application/json` and the `+json` family (`application/problem+json`, ...)."""
    media = media.lower()
    return media in JSON_KINDS or media.endswith("+json") or media == "*/*"


def depth(document: Any) -> int:
    """How deeply arrays and objects nest (iterative: a hostile body cannot blow the stack)."""
    deepest, todo = 0, [(document, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            todo.extend(
                (child, level + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def decode_json(raw: bytes, encoding: str, max_depth: int) -> Any:
    """A request body read as JSON in its declared charset; a ValidationProblem (a 422
    naming why) when it is not JSON, not in that charset, or nests deeper than allowed.
    The standard decoder: orjson reads integers beyond 64 bits as floats."""
    try:
        body = json.loads(raw.decode(encoding))
    except RecursionError as exc:
        raise _too_deep(max_depth) from exc
    except (UnicodeDecodeError, LookupError) as exc:
        msg = f"Body is not valid {encoding}: {exc}"
        raise ValidationProblem([ErrorItem(["body"], msg, "json_invalid")]) from exc
    except ValueError as exc:
        raise ValidationProblem(
            [ErrorItem(["body"], f"Invalid JSON: {exc}", "json_invalid")]
        ) from exc
    if depth(body) > max_depth:
        raise _too_deep(max_depth)
    return body


def decode_form(raw: bytes, encoding: str) -> list[tuple[str, str]]:
    """A urlencoded form's fields, in order (repeated names kept)."""
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        msg = f"Body is not valid {encoding}: {exc}"
        raise ValidationProblem([ErrorItem(["body"], msg, "form_invalid")]) from exc
    return parse_qsl(text, keep_blank_values=True)


def _too_deep(max_depth: int) -> ValidationProblem:
    msg = f"JSON nests deeper than {max_depth} levels"
    return ValidationProblem([ErrorItem(["body"], msg, "too_deep")])
