"""`mockserver receive`: a webhook receiver to watch deliveries arrive (prints each one).

    mockserver receive --port 9000
    # then create runs with "callback_url": "http://127.0.0.1:9000/webhook/noxus"

Standard library only: it runs wherever the package is installed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

DELIVERY_ID = "X-Noxus-Delivery-Id"
SIGNATURE = "X-Noxus-Signature"


def describe(path: str, headers: Any, body: bytes, secret: str | None) -> str:
    """One delivery as printed: who, which, whether the signature holds, the body."""
    lines = [f"POST {path}  {DELIVERY_ID}: {headers.get(DELIVERY_ID, '(none)')}"]
    signature = headers.get(SIGNATURE)
    if secret is not None:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        verdict = "valid" if signature and hmac.compare_digest(expected, signature) else "INVALID"
        lines.append(f"  {SIGNATURE}: {signature or '(none)'} ({verdict})")
    elif signature:
        lines.append(f"  {SIGNATURE}: {signature} (not checked: no --secret)")
    try:
        shown = json.dumps(json.loads(body), indent=2)
    except ValueError:
        shown = body.decode(errors="replace")
    lines += ["  " + line for line in shown.splitlines()]
    return "\n".join(lines)


def receiver(status: int, secret: str | None, out: TextIO) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            print(describe(self.path, self.headers, body, secret), file=out, flush=True)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # each delivery is printed whole above, not as an access-log line

    return Receiver


def serve(listening: socket.socket, status: int, secret: str | None) -> None:
    host, port = listening.getsockname()[:2]
    server = ThreadingHTTPServer((host, port), receiver(status, secret, sys.stdout), False)
    server.socket.close()
    server.socket = listening
    print(
        f"Receiving webhooks on http://{host}:{port}/ (answering {status}); " "stop with Ctrl+C.",
        flush=True,
    )
    with server:
        server.serve_forever()
