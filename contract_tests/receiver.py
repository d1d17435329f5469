"""The webhook receiver the suite starts: the implementation POSTs to it through callback_url.

Each run gets its own path (`/hook/<token>`), so deliveries are matched to runs without
trusting their bodies. A path may ask for its first attempts to be refused (500) to see
the implementation retry.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from contract_tests.contract import delivery_id_header


@dataclass(frozen=True, slots=True)
class Delivery:
    path: str
    headers: dict[str, str]
    raw: bytes
    answered: int
    # time.monotonic() when it reached the suite's receiver (0: unknown)
    arrived: float = 0.0

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get(delivery_id_header())

    def json(self) -> Any:
        return json.loads(self.raw)

    def describe(self) -> str:
        lines = [f"> webhook POST {self.path}"]
        lines += [f">   {name}: {value}" for name, value in self.headers.items()]
        lines.append("> " + self.raw.decode(errors="replace")[:1500])
        lines.append(f"< the suite's receiver answered {self.answered}")
        return "\n".join(lines)

    def curl(self) -> str | None:
        return None  # the create request that caused it is the reproduction


@dataclass
class Receiver:
    public_base: str
    _fail_first: dict[str, int] = field(default_factory=dict)
    _hits: dict[str, list[Delivery]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_url(self, fail_first: int = 0) -> tuple[str, str]:
        """A fresh callback URL and its token; the first `fail_first` attempts get a 500."""
        token = uuid.uuid4().hex
        with self._lock:
            self._fail_first[token] = fail_first
            self._hits[token] = []
        return f"{self.public_base}/hook/{token}", token

    def record(self, path: str, headers: dict[str, str], raw: bytes) -> int:
        token = path.rsplit("/", 1)[-1]
        with self._lock:
            hits = self._hits.setdefault(token, [])
            answer = 500 if len(hits) < self._fail_first.get(token, 0) else 200
            hits.append(Delivery(path, headers, raw, answer, time.monotonic()))
        return answer

    def deliveries(self, token: str) -> list[Delivery]:
        with self._lock:
            return list(self._hits.get(token, []))

    def wait_for(self, token: str, acknowledged: int, timeout: float) -> list[Delivery]:
        """Wait (bounded) until `acknowledged` deliveries got a 2xx; every attempt seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = self.deliveries(token)
            if sum(d.answered < 300 for d in hits) >= acknowledged:
                return hits
            time.sleep(0.02)
        return self.deliveries(token)


@contextmanager
def receiving(callback_host: str | None, port: int) -> Iterator[Receiver]:
    """Listen on 127.0.0.1, or on every interface when the implementation is elsewhere."""
    bind = "0.0.0.0" if callback_host else "127.0.0.1"
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            code = box[0].record(self.path, headers, raw)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((bind, port), Handler)
    host = callback_host or "127.0.0.1"
    box.append(Receiver(f"http://{host}:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
