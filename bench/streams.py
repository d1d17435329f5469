"""Holding many SSE streams open at once from one asyncio client (no thread per stream)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.servers import HOST


@dataclass(frozen=True, slots=True)
class Held:
    asked: int
    opened: int  # answered 200 text/event-stream and sent a first event
    refused: int
    still_open: int  # after the hold
    open_seconds: float


async def _open(
    port: int, path: str, api_key: str, gate: asyncio.Semaphore, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    async with gate:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nX-API-Key: {api_key}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        if b" 200 " not in head.split(b"\r\n", 1)[0] or b"text/event-stream" not in head:
            writer.close()
            return None
        await asyncio.wait_for(reader.readuntil(b"\n\n"), timeout)  # the first event
        return reader, writer


async def _hold(
    port: int, paths: Sequence[str], api_key: str, hold_s: float, timeout: float
) -> tuple[Held, list[asyncio.StreamWriter]]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(100)  # connect in waves: the listen backlog is finite
    began = loop.time()
    tried = await asyncio.gather(
        *(_open(port, path, api_key, gate, timeout) for path in paths), return_exceptions=True
    )
    opened = [t for t in tried if isinstance(t, tuple)]
    took = loop.time() - began
    await asyncio.sleep(hold_s)
    still = sum(1 for reader, _ in opened if not reader.at_eof())
    held = Held(len(paths), len(opened), len(paths) - len(opened), still, took)
    return held, [writer for _, writer in opened]


async def _close(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
    for writer in writers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2)


def hold(
    port: int,
    paths: Sequence[str],
    api_key: str,
    *,
    hold_s: float,
    on_held: Callable[[], None] | None = None,
    timeout: float = 30.0,
) -> Held:
    """Open one stream per path, keep them all open `hold_s` seconds, then close them.

    `on_held` is called while every stream is still open (to read memory).
    """

    async def main() -> Held:
        held, writers = await _hold(port, paths, api_key, hold_s, timeout)
        try:
            if on_held is not None:
                on_held()
        finally:
            await _close(writers)
        return held

    return asyncio.run(asyncio.wait_for(main(), timeout + hold_s + 60))
