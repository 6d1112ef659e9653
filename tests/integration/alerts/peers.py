"""A local HTTP peer in a thread, standing in for a webhook receiver, a WeCom or a DingTalk robot.

It records every request, answers from a script of replies, and (like a careful SMS gateway) keeps the
idempotency keys it accepted, so a repeat is recorded but not counted as a second delivery.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    hold: threading.Event | None = None  # answer only once this is set (after the client gave up)


class HttpPeer:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.accepted: dict[str, Received] = {}  # by idempotency key: what a deduplicating peer keeps
        self.replies: deque[Reply] = deque()
        self.arrived = threading.Condition()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                parts = urlsplit(self.path)
                received = Received(
                    parts.path, parse_qs(parts.query), dict(self.headers.items()), self.rfile.read(length)
                )
                reply = peer.replies.popleft() if peer.replies else Reply()
                with peer.arrived:
                    peer.requests.append(received)
                    key = received.headers.get("Idempotency-Key", "")
                    if reply.status < 300:
                        peer.accepted.setdefault(key, received)
                    peer.arrived.notify_all()
                if reply.hold is not None:
                    reply.hold.wait(10)
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting and closed the connection

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until `count` requests arrived (a deadline, not a guess)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)


@contextmanager
def http_peer() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    peer.thread.start()
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()
