"""One HTTP request and its response, as evidence: readable, and replayable with curl.

API keys never appear literally: the curl line reads them from the environment variable
the suite takes them from, so a CI log does not leak a real key.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

BODY_LIMIT = 1500
SECRET_NAMES = {"x-api-key"}


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    # env variable to print instead of each secret value, e.g. {"k": "$CONTRACT_API_KEY"}
    secrets: Mapping[str, str] = field(default_factory=dict)
    # time.monotonic() when the request left and when the answer was read (0: unknown)
    sent: float = 0.0
    received: float = 0.0

    @classmethod
    def of(
        cls,
        response: httpx.Response,
        secrets: Mapping[str, str],
        sent: float = 0.0,
        body: bytes | None = None,
    ) -> Exchange:
        """`body`: what was read of a streamed answer (default: the whole body)."""
        request = response.request
        return cls(
            method=request.method,
            url=str(request.url),
            request_headers=_interesting(request.headers),
            request_body=request.content,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content if body is None else body,
            secrets=secrets,
            sent=sent,
            received=time.monotonic() if sent else 0.0,
        )

    @classmethod
    def of_schemathesis(cls, response: Any, secrets: Mapping[str, str]) -> Exchange:
        """From a schemathesis Response (its request is a requests.PreparedRequest)."""
        request = response.request
        body = request.body or b""
        return cls(
            method=str(request.method),
            url=str(request.url),
            request_headers=_interesting(httpx.Headers(dict(request.headers))),
            request_body=body.encode() if isinstance(body, str) else bytes(body),
            status=int(response.status_code),
            response_headers={k: ", ".join(v) for k, v in response.headers.items()},
            response_body=bytes(response.content or b""),
            secrets=secrets,
        )

    def json(self) -> Any:
        return json.loads(self.response_body)

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.response_headers.items()}.get(name.lower())

    def _shown(self, name: str, value: str) -> str:
        if name.lower() in SECRET_NAMES:
            return self.secrets.get(value, value)
        return value

    def curl(self) -> str:
        parts = ["curl", "-sS", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            shown = self._shown(name, value)
            quote = '"' if shown.startswith("$") else "'"
            parts += ["-H", f"{quote}{name}: {shown}{quote}"]
        if self.request_body:
            parts += ["--data-binary", shell_bytes(self.request_body)]
        return " ".join(parts)

    def describe(self) -> str:
        headers = ", ".join(f"{k}: {self._shown(k, v)}" for k, v in self.request_headers.items())
        lines = [f"> {self.method} {self.url}" + (f"  [{headers}]" if headers else "")]
        if self.request_body:
            lines.append(f"> {_clip(self.request_body)}")
        kind = self.header("content-type") or "-"
        lines.append(f"< {self.status} ({kind})")
        if self.response_body:
            lines.append(f"< {_clip(self.response_body)}")
        return "\n".join(lines)


def shell_bytes(raw: bytes) -> str:
    """`raw` as one shell word that gives back exactly these bytes: quoted as is when it is
    printable UTF-8, else bash's $'...' with \\xNN escapes (a fuzzed body stays the same)."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return shlex.quote(text)
    escaped = "".join(
        chr(b) if 0x20 <= b < 0x7F and chr(b) not in "\\'" else f"\\x{b:02x}" for b in raw
    )
    return f"$'{escaped}'"


def _interesting(headers: httpx.Headers) -> dict[str, str]:
    """The headers a reproduction needs (httpx adds host, accept, user-agent, ...)."""
    keep = {"x-api-key", "content-type", "prefer", "last-event-id", "accept"}
    return {k: v for k, v in headers.items() if k.lower() in keep and v != "*/*"}


def _clip(raw: bytes) -> str:
    text = raw.decode(errors="replace")
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + f"... ({len(text)} chars)"
