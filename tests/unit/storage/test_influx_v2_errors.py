"""InfluxV2Store against a tiny local HTTP peer: what it sends, and how each answer maps to a store error.

The peer is a fake of a remote InfluxDB (http.server in a thread). It pins our side of the HTTP contract
and the error mapping; the real-server behaviour is in tests/integration/storage_v2.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from storage.influx_v2 import InfluxV2Store, is_influxdb2
from storage.lineprotocol import encode
from storage.points import Point
from storage.store import StoreRejected, StoreUnavailable

TOKEN = "secret-token"
POINTS = [
    Point(
        "meter", {"site": "lakeview", "meter_id": "B1-0101-W"}, {"total": 12.5, "rate": 0.5}, 1_795_000_000_000_000_000
    ),
    Point("meter", {"site": "lakeview", "meter_id": "B1-0102-W"}, {"total": 7.25}, 1_795_000_000_123_456_789),
]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeInflux:
    """Answers every request with `route(request)`; remembers the requests."""

    url: str
    requests: list[Request]
    route: Callable[[Request], Answer]


@pytest.fixture
def fake() -> Iterator[FakeInflux]:
    requests: list[Request] = []
    state = FakeInflux(url="", requests=requests, route=lambda _: Answer(204))

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Request(
                self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), self.rfile.read(length)
            )
            requests.append(request)
            answer = state.route(request)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def make_store(url: str, timeout_s: float = 10.0) -> InfluxV2Store:
    return InfluxV2Store(url, token=TOKEN, org="acme", bucket="facilities", timeout_s=timeout_s)


def error_body(status: int, message: str) -> Answer:
    payload = {"code": "invalid" if status < 500 else "internal error", "message": message}
    return Answer(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def test_write_sends_our_line_protocol_gzipped_with_ns_precision_and_token(fake: FakeInflux) -> None:
    store = make_store(fake.url)
    try:
        store.write(POINTS)
    finally:
        store.close()
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/api/v2/write")
    assert request.query == {"org": ["acme"], "bucket": ["facilities"], "precision": ["ns"]}
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert request.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(request.body) == encode(POINTS)


def test_empty_batch_sends_nothing(fake: FakeInflux) -> None:
    store = make_store(fake.url)
    store.write([])
    store.close()
    assert fake.requests == []


@pytest.mark.parametrize("status", [400, 413, 422])
def test_verdicts_on_the_data_are_rejected(fake: FakeInflux, status: int) -> None:
    fake.route = lambda _: error_body(status, "unable to parse 'meter total=x': invalid field format\"")
    store = make_store(fake.url)
    with pytest.raises(StoreRejected, match=f"rejected the write \\({status}\\): unable to parse"):
        store.write(POINTS)
    store.close()


@pytest.mark.parametrize(
    ("status", "names"),
    [
        (401, ["token", "401", "'acme'"]),
        (403, ["token lacks permission for the write", "'facilities'", "'acme'", "403"]),
        (404, ["'acme'", "'facilities'", "not found"]),
        (429, ["429", "throttling"]),
        (500, ["500"]),
        (503, ["503"]),
        (307, ["307"]),
        (405, ["405"]),
    ],
)
def test_configuration_and_server_problems_keep_the_data(fake: FakeInflux, status: int, names: list[str]) -> None:
    fake.route = lambda _: error_body(status, "it went wrong")
    store = make_store(fake.url)
    with pytest.raises(StoreUnavailable) as caught:
        store.write(POINTS)
    store.close()
    for name in names:
        assert name in str(caught.value)
    assert "it went wrong" in str(caught.value)
    # Exactly one request: the client's own retries are off, the spool writer does the retrying.
    assert len(fake.requests) == 1


def test_plain_text_error_body_is_kept_in_the_message(fake: FakeInflux) -> None:
    fake.route = lambda _: Answer(400, b"cannot read influx line protocol data: too long line")
    store = make_store(fake.url)
    with pytest.raises(StoreRejected, match="too long line"):
        store.write(POINTS)
    store.close()


def test_nothing_listening_is_unavailable_at_once() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        store = make_store(f"http://127.0.0.1:{port}")
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="unreachable"):
            store.write(POINTS)
        store.close()
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out_within_timeout_s() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # the kernel completes the handshake; nobody ever reads or answers
        store = make_store(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="unreachable"):
            store.write(POINTS)
        store.close()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("version", "build", "expected"),
    [
        ("v2.7.11", "OSS", True),
        ("2.0.9", "OSS", True),
        ("", "Cloud", True),
        ("1.8.10", "OSS", False),
        ("1.8.0", "", False),  # VictoriaMetrics on its write endpoint
        ("3.1.0", "Core", False),
        ("", "", False),
    ],
)
def test_which_servers_are_influxdb2(version: str, build: str, expected: bool) -> None:
    assert is_influxdb2(version, build) is expected


def test_ensure_dbrp_skips_a_server_that_is_not_influxdb2(fake: FakeInflux) -> None:
    fake.route = lambda _: Answer(204, headers={"X-Influxdb-Version": "3.1.0", "X-Influxdb-Build": "Core"})
    store = make_store(fake.url)
    assert store.ensure_dbrp() is False
    store.close()
    assert [r.path for r in fake.requests] == ["/ping"]


def influxdb2_api(dbrps: list[dict[str, object]], buckets: list[dict[str, object]]) -> Callable[[Request], Answer]:
    """Answers shaped like InfluxDB 2.7's API documentation (a fake: no real 2.x server is available here)."""

    def route(request: Request) -> Answer:
        if request.path == "/ping":
            return Answer(204, headers={"X-Influxdb-Version": "v2.7.11", "X-Influxdb-Build": "OSS"})
        if request.path == "/api/v2/dbrps" and request.method == "GET":
            return Answer(200, json.dumps({"content": dbrps}).encode(), {"Content-Type": "application/json"})
        if request.path == "/api/v2/buckets":
            return Answer(200, json.dumps({"buckets": buckets}).encode(), {"Content-Type": "application/json"})
        if request.path == "/api/v2/dbrps" and request.method == "POST":
            created = {"id": "d1", "orgID": "o1", **json.loads(request.body)}
            return Answer(201, json.dumps(created).encode(), {"Content-Type": "application/json"})
        return Answer(404)

    return route


BUCKET: dict[str, object] = {"id": "b1", "orgID": "o1", "name": "facilities", "retentionRules": []}


def dbrp(virtual: bool) -> dict[str, object]:
    return {
        "id": "d0",
        "orgID": "o1",
        "bucketID": "b1",
        "database": "facilities",
        "retention_policy": "autogen",
        "default": True,
        "virtual": virtual,
    }


def test_ensure_dbrp_maps_the_bucket_on_influxdb2(fake: FakeInflux) -> None:
    fake.route = influxdb2_api(dbrps=[dbrp(virtual=True)], buckets=[BUCKET])
    store = make_store(fake.url)
    assert store.ensure_dbrp() is True
    store.close()
    listing = next(r for r in fake.requests if r.path == "/api/v2/dbrps" and r.method == "GET")
    assert listing.query == {"org": ["acme"], "db": ["facilities"], "rp": ["autogen"]}
    lookup = next(r for r in fake.requests if r.path == "/api/v2/buckets")
    assert lookup.query["org"] == ["acme"] and lookup.query["name"] == ["facilities"]
    created = next(r for r in fake.requests if r.path == "/api/v2/dbrps" and r.method == "POST")
    body = json.loads(gzip.decompress(created.body) if created.headers.get("Content-Encoding") else created.body)
    assert body == {
        "org": "acme",
        "bucketID": "b1",
        "database": "facilities",
        "retention_policy": "autogen",
        "default": True,
    }
    assert created.headers["Authorization"] == f"Token {TOKEN}"


def test_ensure_dbrp_keeps_an_explicit_mapping(fake: FakeInflux) -> None:
    fake.route = influxdb2_api(dbrps=[dbrp(virtual=False)], buckets=[BUCKET])
    store = make_store(fake.url)
    assert store.ensure_dbrp() is False
    store.close()
    assert not any(r.method == "POST" for r in fake.requests)


def test_ensure_dbrp_without_the_bucket_names_it(fake: FakeInflux) -> None:
    fake.route = influxdb2_api(dbrps=[], buckets=[])
    store = make_store(fake.url)
    with pytest.raises(StoreUnavailable, match="no bucket 'facilities' in org 'acme'"):
        store.ensure_dbrp()
    store.close()


def test_ensure_dbrp_with_a_bad_token_says_so(fake: FakeInflux) -> None:
    def route(request: Request) -> Answer:
        if request.path == "/ping":
            return Answer(204, headers={"X-Influxdb-Version": "v2.7.11"})
        return error_body(401, "unauthorized access")

    fake.route = route
    store = make_store(fake.url)
    with pytest.raises(StoreUnavailable, match="refused the token"):
        store.ensure_dbrp()
    store.close()


def test_bucket_with_retention_policy_maps_db_and_rp() -> None:
    store = InfluxV2Store("http://127.0.0.1:1", token=TOKEN, org="", bucket="facilities/one_year")
    assert (store.database, store.retention_policy) == ("facilities", "one_year")
    store.close()
