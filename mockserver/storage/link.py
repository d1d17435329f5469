"""One pipelined connection to Redis for the commands on the request path.

redis-py's asyncio pipeline costs about 80 µs of CPU a call; here a call's commands leave
in one write and the replies (parsed by hiredis) go back, in order, to whoever asked: about
10 µs. Every coroutine of the process shares the one connection, so the writes of
concurrent calls also leave together. The rest of the backend (control calls, pub/sub,
the outbox) stays on redis-py, with the same URL.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

Command = Sequence[str | int | float | bytes]


def _packed(commands: Sequence[Command]) -> bytes:
    out: list[bytes] = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for arg in command:
            if isinstance(arg, bytes):
                data = arg
            elif isinstance(arg, float):
                data = repr(arg).encode()
            else:
                data = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


@dataclass
class _Asked:
    future: asyncio.Future[list[Any]]
    count: int
    replies: list[Any] = field(default_factory=list)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self._reader = hiredis.Reader(
            protocolError=RedisConnectionError, replyError=ResponseError, encoding="utf-8"
        )
        self._waiting: collections.deque[_Asked] = collections.deque()
        self._unsent: list[bytes] = []
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            asked = self._waiting[0]
            asked.replies.append(reply)
            if len(asked.replies) == asked.count:
                self._waiting.popleft()
                if not asked.future.done():  # its caller may have gone (cancelled)
                    asked.future.set_result(asked.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = RedisConnectionError(f"connection to Redis lost: {exc or 'closed'}")
        while self._waiting:
            asked = self._waiting.popleft()
            if not asked.future.done():
                asked.future.set_exception(self.lost)

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Any]]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append(_Asked(future, len(commands)))
        if not self._unsent:
            # Written once the loop has run every call ready now: their commands share
            # one write (a system call costs more than the rest of a send).
            loop.call_soon(self._write)
        self._unsent.append(_packed(commands))
        return future

    def _write(self) -> None:
        unsent, self._unsent = self._unsent, []
        if self.transport is not None and self.lost is None:
            self.transport.write(b"".join(unsent))


class Script:
    """A Lua script run by its SHA (the text crosses the wire only if Redis lacks it)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()


class Link:
    """The connection, opened on first use and again after it was lost."""

    def __init__(self, kwargs: dict[str, Any], tls: bool = False) -> None:
        # redis-py's parsed URL: host, port or path, db, username, password.
        self._kwargs = kwargs
        self._tls = tls
        self._protocol: _Protocol | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> _Protocol:
        async with self._opening:
            found = self._protocol
            if found is not None and found.lost is None:
                return found
            loop = asyncio.get_running_loop()
            kw = self._kwargs
            try:
                if kw.get("path"):
                    _, protocol = await loop.create_unix_connection(_Protocol, kw["path"])
                else:
                    context = ssl.create_default_context() if self._tls else None
                    _, protocol = await loop.create_connection(
                        _Protocol, kw.get("host", "localhost"), kw.get("port", 6379), ssl=context
                    )
            except OSError as exc:
                raise RedisConnectionError(f"cannot reach Redis: {exc}") from exc
            hello: list[Command] = []
            if kw.get("password"):
                hello.append(("AUTH", *filter(None, (kw.get("username"), kw["password"]))))
            if kw.get("db"):
                hello.append(("SELECT", kw["db"]))
            if hello:
                await protocol.send(hello)
            self._protocol = protocol
            return protocol

    async def send(self, *commands: Command) -> list[Any]:
        """The replies to `commands`, sent in one write; an error reply is raised."""
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._open()
        replies = await protocol.send(commands)
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    async def run(self, script: Script, keys: Sequence[str], args: Command) -> Any:
        try:
            (reply,) = await self.send(("EVALSHA", script.sha, len(keys), *keys, *args))
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            # A Redis that restarted (or was flushed of scripts): EVAL loads it again.
            (reply,) = await self.send(("EVAL", script.text, len(keys), *keys, *args))
        return reply

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
