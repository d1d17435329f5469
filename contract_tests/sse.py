"""A run's event stream as read off the wire: frames, comments, and whether it ended."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    fields: dict[str, str]
    lines: list[str]

    @property
    def id(self) -> str | None:
        return self.fields.get("id")

    def body(self) -> Any:
        """The JSON `data`, or None when it is missing or not JSON."""
        try:
            return json.loads(self.fields.get("data", ""))
        except ValueError:
            return None


@dataclass
class EventStream:
    url: str
    headers: dict[str, str]
    secrets: Mapping[str, str]
    status: int = 0
    content_type: str = ""
    frames: list[Frame] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    # True when the server closed the stream; False when the suite gave up waiting
    ended: bool = False
    unterminated: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"> GET {self.url}  (SSE)", f"< {self.status} ({self.content_type})"]
        shown = self.frames[-12:]
        if len(self.frames) > len(shown):
            lines.append(f"< ... {len(self.frames) - len(shown)} earlier frames")
        for frame in shown:
            lines += ["< " + line for line in frame.lines] + ["<"]
        lines.append("< [stream closed by the server]" if self.ended else "< [still open]")
        return "\n".join(lines)

    def curl(self) -> str:
        parts = ["curl", "-sS", "-N", shlex.quote(self.url)]
        for name, value in self.headers.items():
            shown = self.secrets.get(value, value) if name.lower() == "x-api-key" else value
            quote = '"' if shown.startswith("$") else "'"
            parts += ["-H", f"{quote}{name}: {shown}{quote}"]
        return " ".join(parts)


def read(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    *,
    secrets: Mapping[str, str],
    timeout: float,
) -> EventStream:
    """Read the stream until the server closes it or `timeout` s pass (bounded)."""
    stream = EventStream(str(client.base_url.join(url)), headers, secrets)
    deadline = time.monotonic() + timeout
    with client.stream("GET", url, headers=headers, timeout=timeout) as response:
        stream.status = response.status_code
        stream.content_type = response.headers.get("content-type", "")
        if response.status_code != 200:
            response.read()
            stream.ended = True
            return stream
        try:
            _frames(response, stream, deadline)
        except httpx.ReadTimeout:
            return stream  # quiet for longer than the timeout: not ended
    return stream


def _frames(response: httpx.Response, stream: EventStream, deadline: float) -> None:
    fields: dict[str, str] = {}
    lines: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):
            stream.comments.append(line)
        elif line == "":
            if lines:
                stream.frames.append(Frame(fields, lines))
            fields, lines = {}, []
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            # several `data:` lines make one value, joined by newlines (the SSE standard)
            fields[name] = (
                f"{fields[name]}\n{value}" if name in fields and name == "data" else value
            )
            lines.append(line)
        if time.monotonic() > deadline:
            return
    stream.unterminated = lines  # a frame the server never finished with a blank line
    stream.ended = True
