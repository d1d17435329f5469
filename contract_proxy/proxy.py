"""`mockserver proxy`: a reverse proxy in front of a real backend that checks its traffic.

Every call is forwarded as it came (status and headers kept, SSE relayed chunk by chunk as
it arrives) and judged after it was relayed, so validation adds no wait to the answer.
A create's `callback_url` is rewritten to `/_proxy/hooks/<token>` here: the backend's
webhook comes through the proxy, is judged, and is relayed to the client's URL (whose
answer goes back to the backend, so its retries are the backend's own).
`/_mock/violations` and `/_mock/health` answer from the proxy itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.types import Receive

from contract_proxy.observer import CREATES, JUDGED, KEPT_RUNS, Observer, Seen
from contract_proxy.violations import ViolationLog
from contract_tests import contract
from contract_tests.receiver import Delivery

LOG = logging.getLogger("mockserver.proxy")
HOOKS = "/_proxy/hooks/"
HOP_BY_HOP = {
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",  # httpx hands over decoded bytes
    "accept-encoding",  # ask for plain bytes: they are read, and relayed at once
    "te",
    "upgrade",
}
Send = Callable[[dict[str, Any]], Any]


class ContractProxy:
    """ASGI app. `public` is the URL the backend can reach this proxy at (for webhooks)."""

    def __init__(
        self,
        upstream: str,
        *,
        public: str,
        strict: bool = False,
        junitxml: Path | None = None,
        recorder: Any = None,
        spec: Path | None = None,
    ) -> None:
        if spec is not None:
            contract.use(spec)  # the rules judge this document (else the bundled one)
        self.upstream = upstream.rstrip("/")
        self.public = public.rstrip("/")
        self.strict = strict
        self.junitxml = junitxml
        self.recorder = recorder
        self.log = ViolationLog(JUDGED)
        self.observer = Observer(self.log, self.upstream)
        self._hook_targets: OrderedDict[str, str] = OrderedDict()  # token -> client's URL
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=None)
        self._hooks = httpx.AsyncClient(timeout=30)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        path = scope["path"]
        query = scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        method = scope["method"]
        if method == "POST" and path.startswith(HOOKS):
            await self._relay_hook(path.removeprefix(HOOKS), dict(headers), body, send)
        elif method == "GET" and path == "/_mock/violations":
            await self._violations(query, send)
        elif method == "GET" and path == "/_mock/health":
            health = {
                "status": "ok",
                "mode": "proxy",
                "upstream": self.upstream,
                "violations": self.log.total,
                "by_rule": dict(self.log.counts),
            }
            await _answer(send, 200, {"content-type": "application/json"}, _dumps(health))
        else:
            raw_path = scope.get("raw_path") or path.encode()
            target = raw_path.decode("latin-1") + (f"?{query}" if query else "")
            await self._forward(method, path, target, query, headers, body, (receive, send))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        if self.junitxml is not None:
            self.log.write_junit(self.junitxml)
            LOG.warning("wrote %s (%d violation(s))", self.junitxml, self.log.total)
        if self.recorder is not None:
            self.recorder.close()
        await self._client.aclose()
        await self._hooks.aclose()

    async def _forward(
        self,
        method: str,
        path: str,
        target: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        channel: tuple[Any, Send],
    ) -> None:
        receive, send = channel
        pairs = parse_qsl(query, keep_blank_values=True)
        seen = self.observer.seen(method, path, pairs, dict(headers))
        problems = self.observer.check_request(seen, body)
        if problems and self.strict and "x-api-key" in seen.headers:
            # The documented 422, without asking the backend; keyless calls still go on
            # (their documented answer is the backend's 401).
            LOG.warning(
                "strict: refused %s %s: %s", method, path, "; ".join(p.msg for p in problems[:3])
            )
            detail: dict[str, Any] = {"detail": [p.as_json() for p in problems]}
            await _answer(send, 422, {"content-type": "application/json"}, _dumps(detail))
            return
        sent_body = self._rewrite_callback(seen, body)
        sent_headers = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        request = self._client.build_request(
            method, target, headers=sent_headers, content=sent_body
        )
        started = time.monotonic()
        try:
            upstream = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            LOG.warning("upstream %s unreachable for %s %s: %s", self.upstream, method, path, exc)
            detail = {"detail": f"Upstream {self.upstream} unreachable: {type(exc).__name__}"}
            await _answer(send, 502, {"content-type": "application/json"}, _dumps(detail))
            return
        kept = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            await self._stream(seen, upstream, kept, channel, started)
            return
        try:
            raw = await upstream.aread()
        finally:
            await upstream.aclose()
        await _answer(send, upstream.status_code, kept, raw)
        exchange = self.observer.exchange(seen, upstream.status_code, dict(kept), raw)
        self._after(self.observer.answered, seen, exchange)
        if self.recorder is not None:
            self._after(self.recorder.answered, seen, exchange, started)

    async def _stream(
        self,
        seen: Seen,
        upstream: httpx.Response,
        kept: list[tuple[str, str]],
        channel: tuple[Any, Send],
        started: float,
    ) -> None:
        receive, send = channel
        await send(_start(upstream.status_code, kept))
        raw = bytearray()
        left = False
        gone = asyncio.Event()

        async def hang_up() -> None:  # the client leaving ends the relay at the next chunk
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(hang_up())
        arrivals: list[tuple[float, int]] = []  # (time, bytes so far): the recorder's offsets
        try:
            async for chunk in upstream.aiter_bytes():
                raw += chunk
                arrivals.append((time.monotonic(), len(raw)))
                if gone.is_set():
                    left = True
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not left:
                await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError:
            left = True  # the backend dropped the stream: judged as not ended
        finally:
            watcher.cancel()
            await upstream.aclose()
        exchange = self.observer.exchange(seen, upstream.status_code, dict(kept), bytes(raw))
        self._after(self.observer.streamed, seen, exchange, bytes(raw), ended=not left, left=left)
        if self.recorder is not None:
            self._after(self.recorder.streamed, seen, exchange, arrivals, started)

    def _rewrite_callback(self, seen: Seen, body: bytes) -> bytes:
        if seen.operation_id not in CREATES or not body or seen.problems:
            # an invalid request goes as it came: rewriting could make it valid
            return body
        try:
            payload = json.loads(body)
        except ValueError:
            return body
        url = payload.get("callback_url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return body
        token = secrets.token_urlsafe(16)
        self._hook_targets[token] = url
        while len(self._hook_targets) > KEPT_RUNS:
            self._hook_targets.popitem(last=False)
        seen.token = token
        payload["callback_url"] = f"{self.public}{HOOKS}{token}"
        return json.dumps(payload).encode()

    async def _relay_hook(
        self, token: str, headers: dict[str, str], body: bytes, send: Send
    ) -> None:
        target = self._hook_targets.get(token)
        if target is None:
            await _answer(
                send, 404, {"content-type": "application/json"}, b'{"detail":"Not Found"}'
            )
            return
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            answer = (await self._hooks.post(target, content=body, headers=sent)).status_code
        except httpx.HTTPError as exc:
            LOG.warning("webhook receiver unreachable: %s", type(exc).__name__)
            answer = 502
        lowered = {k.lower(): v for k, v in headers.items()}
        delivery = Delivery(f"(via the proxy) {HOOKS}…", lowered, body, answer)
        await _answer(send, answer, {"content-length": "0"}, b"")
        self._after(self.observer.delivered, token, delivery)
        if self.recorder is not None:
            self._after(self.recorder.delivered, token, delivery)

    def _after(self, step: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Judging runs after the answer went out; a bug in it must not cost a connection."""
        try:
            step(*args, **kwargs)
        except Exception:
            LOG.exception("the proxy's checks failed on a relayed exchange (it was relayed)")

    async def _violations(self, query: str, send: Send) -> None:
        asked = dict(parse_qsl(query))
        found = self.log.listed(rule=asked.get("rule"), run_id=asked.get("run"))
        body = {
            "total": self.log.total,
            "by_rule": dict(self.log.counts),
            "items": [v.as_json() for v in found],
        }
        await _answer(send, 200, {"content-type": "application/json"}, _dumps(body))


async def read_body(receive: Receive) -> bytes:
    """An ASGI request's whole body."""
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return bytes(body)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _start(status: int, headers: list[tuple[str, str]] | dict[str, str]) -> dict[str, Any]:
    items = headers.items() if isinstance(headers, dict) else headers
    pairs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in items]
    return {"type": "http.response.start", "status": status, "headers": pairs}


async def _answer(
    send: Send, status: int, headers: list[tuple[str, str]] | dict[str, str], body: bytes
) -> None:
    items = list(headers.items() if isinstance(headers, dict) else headers)
    items = [(k, v) for k, v in items if k.lower() != "content-length"]
    await send(_start(status, [*items, ("content-length", str(len(body)))]))
    await send({"type": "http.response.body", "body": body})
