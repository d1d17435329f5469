"""What connexion's validator shells (reference/connexion_glue.py) read from the contract
core: its schema cache and body decoding, and answers read back as JSON.

connexion's own validators are Draft 4 (no uuid format), stop at the first error,
answer 400 problem+json, and turn a non-UTF-8 body into a 500; the core's report every
FastAPI-shaped `{"loc", "msg", "type"}` item.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import orjson

from apicontract.bodies import decode_json as decode_body
from apicontract.schemas import SchemaCache

__all__ = ["PARSED_BODY", "SchemaCache", "decode_answer", "decode_body"]

Loc = list[str | int]

# Where the request body validator leaves the body it decoded, in the scope's extensions.
PARSED_BODY = "mockserver.parsed_body"
UTF8 = ("utf-8", "utf8")
LONG_DIGITS = re.compile(rb"[0-9]{19}")  # 2**63 has 19 digits


def decode_answer(raw: bytes, encoding: str) -> Any:
    """A response body read back as JSON (ValueError when it is not JSON).

    orjson is several times faster, but reads integers beyond 64 bits as floats (hence
    the digit check) and refuses NaN and Infinity (which only the standard encoder
    writes): those take the standard path."""
    if encoding.lower() in UTF8 and not LONG_DIGITS.search(raw):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    return json.loads(raw.decode(encoding))
