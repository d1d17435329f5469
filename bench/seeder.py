"""Filling a store through the public API: exactly `count` creates over keep-alive sockets.

wrk cannot stop at a count (its threads stop, its clock does not), so this small asyncio
client does it, with a fixed number of connections each sending one request at a time.
"""

from __future__ import annotations

import asyncio

from bench.servers import HOST
from bench.wrk import Request


def raw_request(request: Request, port: int) -> bytes:
    body = (request.body or "").encode()
    head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {HOST}:{port}"]
    head += [f"{name}: {value}" for name, value in request.headers]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def status_and_length(head: bytes) -> tuple[int, int]:
    """The status code and Content-Length of a response head (up to the blank line)."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return status, length


async def _send_many(port: int, raw: bytes, todo: list[int], failed: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while todo:
            todo.pop()
            writer.write(raw)
            status, length = status_and_length(await reader.readuntil(b"\r\n\r\n"))
            await reader.readexactly(length)
            if not 200 <= status < 300:
                failed.append(status)
    finally:
        writer.close()


def seed(
    port: int, request: Request, count: int, *, connections: int = 32, timeout: float = 900
) -> int:
    """Send `request` `count` times; returns how many answers were not 2xx."""
    raw = raw_request(request, port)
    todo = list(range(count))
    failed: list[int] = []

    async def main() -> None:
        workers = [_send_many(port, raw, todo, failed) for _ in range(min(connections, count))]
        await asyncio.wait_for(asyncio.gather(*workers), timeout)

    asyncio.run(main())
    return len(failed)
