"""A small SSE reader for tests: reads a live stream into frames and comments."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Stream:
    status: int
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(f["data"]) for f in self.frames]


def read(
    url: str,
    headers: dict[str, str],
    *,
    params: dict[str, str] | None = None,
    timeout: float = 10,
    max_comments: int | None = None,
    on_frame: Any = None,
) -> Stream:
    with httpx.stream("GET", url, headers=headers, params=params, timeout=timeout) as response:
        stream = Stream(
            response.status_code, response.headers.get("content-type", ""), dict(response.headers)
        )
        if response.status_code != 200:
            response.read()
            return stream
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                stream.comments.append(line)
                if max_comments is not None and len(stream.comments) >= max_comments:
                    break
            elif line == "":
                if current:
                    stream.frames.append(current)
                    if on_frame is not None:
                        on_frame(current)
                    current = {}
            else:
                name, _, value = line.partition(":")
                current[name] = value[1:] if value.startswith(" ") else value
        return stream
