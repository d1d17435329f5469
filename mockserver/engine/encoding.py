"""JSON encoding for response bodies: orjson, falling back to the standard library.

orjson is several times faster, but refuses what json accepts: integers beyond 64 bits
(a client may send one in `input`, which runs echo back) and NaN/Infinity. Those rare
bodies take the standard path, so every body that encoded before still encodes.
Decoding stays with json: orjson turns such integers into floats, silently.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(body).encode()
