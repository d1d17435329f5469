"""A mutating reverse proxy in front of a live mock: each fault breaks one contract rule.

It forwards every request (SSE streamed), then damages what the fault names. Webhooks
pass through it too: `callback_url` is rewritten to `/_relay/<encoded url>` here, so
deliveries can be duplicated, re-labelled or altered on their way to the receiver.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from contract_proxy.proxy import read_body

RUN_PATH = re.compile(r"^/v1/workflows/[^/]+/runs/[0-9a-f-]{36}$")
STOP_PATH = re.compile(r"^/v1/runs/([0-9a-f-]{36})/stop$")
EVENTS_PATH = re.compile(r"^/v1/runs/[0-9a-f-]{36}/events$")
LIST_PATH = re.compile(r"^/v1/workflows/[^/]+/runs$")

# fault -> the rule the contract suite must name when it meets it
FAULTS = {
    "status-backwards": "lifecycle.legal-transitions",
    "missing-field": "spec.response-schema",
    "progress-not-100": "lifecycle.progress",
    "finished-early": "lifecycle.finished-at",
    "auth-open": "auth.missing-key",
    "shared-workspace": "auth.isolation",
    "bad-422": "conformance.validation-error",
    "stop-terminal-ok": "stop.terminal-refused",
    "sse-no-terminal": "sse.terminal-event",
    "resume-inclusive": "sse.resume",
    "page-repeat": "list.pagination",
    "webhook-twice": "webhook.exactly-once",
    "webhook-new-id-on-retry": "webhook.retry",
    "webhook-outputs-differ": "channels.agree",
}


class Proxy:
    """ASGI app; `fault` is one of FAULTS or None (a faithful proxy)."""

    def __init__(self, upstream: str, fault: str | None) -> None:
        self.upstream = upstream
        self.fault = fault
        self.public = ""  # the proxy's own URL, set once it listens
        self._client = httpx.AsyncClient(base_url=upstream, timeout=60)
        self._hooks = httpx.AsyncClient(timeout=10)
        self._served_running: set[str] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await self.aclose()  # in the loop its connections belong to
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await read_body(receive)
        path, query = scope["path"], scope["query_string"].decode()
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k != b"host"}
        if path.startswith("/_relay/"):
            status = await self._relay(path, headers, body)
            await _send(send, status, {}, b"")
            return
        headers, body, query, resume = self._request(scope["method"], path, headers, body, query)
        raw_path = scope.get("raw_path", path.encode()).decode("latin-1")  # as sent, still quoted
        request = self._client.build_request(
            scope["method"],
            raw_path + (f"?{query}" if query else ""),
            headers=headers,
            content=body,
        )
        upstream = await self._client.send(request, stream=True)
        out_headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in {"content-length", "transfer-encoding", "content-encoding"}
        }
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            await send(_start(upstream.status_code, out_headers))
            async for chunk in self._frames(upstream, resume):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        raw = await upstream.aread()
        await upstream.aclose()
        status, raw = await self._response(
            scope["method"], path, query, headers, upstream.status_code, raw
        )
        await _send(send, status, out_headers, raw)

    def _request(
        self, method: str, path: str, headers: dict[str, str], body: bytes, query: str
    ) -> tuple[dict[str, str], bytes, str, str | None]:
        key = headers.get("x-api-key")
        if self.fault == "auth-open" and (not key or key.startswith("invalid")):
            headers["x-api-key"] = "let-me-in"
        if self.fault == "shared-workspace" and key and not key.startswith("invalid"):
            headers["x-api-key"] = "one-shared-workspace"
        if method == "POST" and body and self.fault and self.fault.startswith("webhook"):
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            if isinstance(payload, dict) and isinstance(payload.get("callback_url"), str):
                token = base64.urlsafe_b64encode(payload["callback_url"].encode()).decode()
                payload["callback_url"] = f"{self.public}/_relay/{token}"
                body = json.dumps(payload).encode()
                headers["content-length"] = str(len(body))
        resume = None
        if self.fault == "resume-inclusive" and EVENTS_PATH.match(path):
            match = re.search(r"etag=([0-9]+-[0-9]+)", query)
            resume = headers.pop("last-event-id", None) or (match.group(1) if match else None)
            query = ""
        return headers, body, query, resume

    async def _response(
        self, method: str, path: str, query: str, headers: dict[str, str], status: int, raw: bytes
    ) -> tuple[int, bytes]:
        fault = self.fault
        if fault == "bad-422" and status == 422:
            return status, b'{"detail": "validation failed"}'
        if fault == "stop-terminal-ok" and status == 409 and (m := STOP_PATH.match(path)):
            found = await self._client.get(f"/v1/runs/{m.group(1)}", headers=headers)
            wf = found.json()["workflow_id"]
            run = await self._client.get(f"/v1/workflows/{wf}/runs/{m.group(1)}", headers=headers)
            return 200, run.content
        if fault == "page-repeat" and LIST_PATH.match(path) and method == "GET" and status == 200:
            page = json.loads(raw)
            if page["page"] > 1 and page["items"]:
                size = page["size"]
                first = await self._client.get(f"{path}?page=1&size={size}", headers=headers)
                page["items"][0] = first.json()["items"][0]
                return status, json.dumps(page).encode()
        if status != 200 or not raw.startswith(b"{"):
            return status, raw
        body = json.loads(raw)
        for run in [body, *body.get("items", [])]:
            if isinstance(run, dict) and "status" in run and "id" in run:
                self._damage(run, polled=method == "GET" and bool(RUN_PATH.match(path)))
        return status, json.dumps(body).encode()

    def _damage(self, run: dict[str, Any], polled: bool) -> None:
        fault, status = self.fault, run["status"]
        if fault == "missing-field":
            run.pop("created_at", None)
        elif fault == "progress-not-100" and status == "completed":
            run["progress"] = 99
        elif fault == "finished-early" and status == "running" and "created_at" in run:
            run["finished_at"] = run["created_at"]
        elif fault == "status-backwards" and polled and status == "running":
            # The second time a run is polled running, it is said to be queued again.
            if run["id"] in self._served_running:
                run["status"] = "queued"
            self._served_running.add(run["id"])

    async def _frames(self, upstream: httpx.Response, resume: str | None) -> AsyncIterator[bytes]:
        buffer = b""
        async for chunk in upstream.aiter_bytes():
            buffer += chunk
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                text = frame.decode()
                if self.fault == "sse-no-terminal" and "workflow_status" in text:
                    continue
                found = re.search(r"^id: ([0-9]+)-([0-9]+)$", text, re.M)
                if resume and found:
                    ms, seq = (int(p) for p in resume.split("-"))
                    if (int(found.group(1)), int(found.group(2))) < (ms, seq):
                        continue  # the fault: the resume point itself is sent again
                yield frame + b"\n\n"
        await upstream.aclose()

    async def _relay(self, path: str, headers: dict[str, str], body: bytes) -> int:
        target = base64.urlsafe_b64decode(path.removeprefix("/_relay/")).decode()
        sent = {k: v for k, v in headers.items() if k.lower() not in {"content-length"}}
        if self.fault == "webhook-new-id-on-retry":
            sent["x-noxus-delivery-id"] = str(uuid.uuid4())
        if self.fault == "webhook-outputs-differ":
            payload = json.loads(body)
            if payload.get("status") == "completed":
                payload["outputs"] = {"tampered": "by the proxy"}
            body = json.dumps(payload).encode()
        answer = await self._hooks.post(target, content=body, headers=sent)
        if self.fault == "webhook-twice" and answer.is_success:
            sent["x-noxus-delivery-id"] = str(uuid.uuid4())
            await self._hooks.post(target, content=body, headers=sent)
        return answer.status_code

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._hooks.aclose()


def _start(status: int, headers: dict[str, str]) -> dict[str, Any]:
    pairs = [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http.response.start", "status": status, "headers": pairs}


async def _send(send: Any, status: int, headers: dict[str, str], body: bytes) -> None:
    await send(_start(status, {**headers, "content-length": str(len(body))}))
    await send({"type": "http.response.body", "body": body})
