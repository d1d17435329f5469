"""A run's event stream as read off the wire: events, other blocks, comments, whether it ended.

Parsed as the SSE standard says: lines end in LF, CRLF or CR; a block is dispatched as an
event only if it has `data`; blocks without it (`retry: 3000`, a lone `id:`) and comment
lines are kept apart, as context, and never judged as malformed events.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterable, Mapping
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
    frames: list[Frame] = field(default_factory=list)  # the events
    other_blocks: list[list[str]] = field(default_factory=list)  # blocks without `data`
    comments: list[str] = field(default_factory=list)
    # True when the server closed the stream; False when the suite gave up waiting
    ended: bool = False
    unterminated: list[str] = field(default_factory=list)

    def at(self, *indexes: int) -> StreamEvidence:
        """This stream as evidence that always shows the events at `indexes`."""
        return StreamEvidence(self, frozenset(i % len(self.frames) for i in indexes if self.frames))

    def describe(self) -> str:
        return StreamEvidence(self, frozenset()).describe()

    def curl(self) -> str:
        parts = ["curl", "-sS", "-N", shlex.quote(self.url)]
        for name, value in self.headers.items():
            shown = self.secrets.get(value, value) if name.lower() == "x-api-key" else value
            quote = '"' if shown.startswith("$") else "'"
            parts += ["-H", f"{quote}{name}: {shown}{quote}"]
        return " ".join(parts)


@dataclass(frozen=True)
class StreamEvidence:
    """A stream shown with its first and last events and every event in `focus`."""

    stream: EventStream
    focus: frozenset[int]

    def describe(self) -> str:
        stream = self.stream
        lines = [f"> GET {stream.url}  (SSE)", f"< {stream.status} ({stream.content_type})"]
        frames = stream.frames
        keep = {*range(3), *range(len(frames) - 8, len(frames)), *self.focus}
        keep |= {i + d for i in self.focus for d in (-1, 1)}
        skipped = 0
        for index, frame in enumerate(frames):
            if index not in keep:
                skipped += 1
                continue
            if skipped:
                lines.append(f"< ... {skipped} events not shown")
                skipped = 0
            mark = "  <-- here" if index in self.focus else ""
            lines += [f"< [event {index}]{mark}"] + ["< " + line for line in frame.lines]
        if skipped:
            lines.append(f"< ... {skipped} events not shown")
        if stream.other_blocks:
            lines.append(f"< ({len(stream.other_blocks)} blocks without data, e.g. ")
            lines[-1] += f"{stream.other_blocks[0]}, and {len(stream.comments)} comments)"
        lines.append("< [stream closed by the server]" if stream.ended else "< [still open]")
        return "\n".join(lines)

    def curl(self) -> str:
        return self.stream.curl()


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
    parse(stream, response.iter_lines(), deadline)


def parse(stream: EventStream, text_lines: Iterable[str], deadline: float | None = None) -> None:
    """Fill `stream` from its lines, as read off the wire (the proxy feeds what it relayed)."""
    fields: dict[str, str] = {}
    lines: list[str] = []
    for line in text_lines:
        if line.startswith(":"):
            stream.comments.append(line)
        elif line == "":
            if "data" in fields:
                stream.frames.append(Frame(fields, lines))
            elif lines:
                stream.other_blocks.append(lines)
            fields, lines = {}, []
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            # several `data:` lines make one value, joined by newlines (the SSE standard)
            fields[name] = (
                f"{fields[name]}\n{value}" if name in fields and name == "data" else value
            )
            lines.append(line)
        if deadline is not None and time.monotonic() > deadline:
            return
    if "data" in fields:  # an event the server never finished with a blank line
        stream.unterminated = lines
    stream.ended = True
