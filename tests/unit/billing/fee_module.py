"""A stand-in for the remote fee module: a real HTTP server on a free local port, answering from a script.

It records every request and keeps one copy per idempotency key, the way a well-behaved peer would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FeeModule:
    """Answers requests with `script` in order (then 200), e.g. [503, 503] fails twice first."""

    script: list[int] = field(default_factory=list)
    retry_after: str | None = None
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: dict[str, Any]) -> int:
        with self.lock:
            self.requests.append((headers, body))
            status = self.script.pop(0) if self.script else 200
            if status == 200:
                self.stored.setdefault(headers["Idempotency-Key"], body)
            return status


@contextmanager
def running(fee_module: FeeModule) -> Iterator[FeeModule]:
    """Serve `fee_module` on 127.0.0.1 until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            status = fee_module.answer(dict(self.headers.items()), body)
            self.send_response(status)
            if status == 429 and fee_module.retry_after:
                self.send_header("Retry-After", fee_module.retry_after)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    fee_module.url = f"http://127.0.0.1:{server.server_address[1]}/billing/statements"
    try:
        yield fee_module
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
