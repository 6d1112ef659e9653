"""Console benchmark: the work-order page a technician opens from an alert, next to the JSON API's same order.

    .venv/bin/python bench/console.py --requests 300

Over real uvicorn on loopback, one SQLite database and embedded store (the rig of the console's tests): an
elevator vibration order whose evidence chart reads 40 minutes of 10 s readings.
  (a) api:  GET /sites/{site}/work-orders/{code} with an API key: the order as JSON, audit log included;
  (b) page: GET /console/orders/{code}?k=…: link check, the order, the readings, the SVG chart, the HTML.
Prints JSON with the median and 95th-percentile milliseconds of each and ratio = median(b) / median(a).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from access.roles import Role
from api.keys_crud import create_key
from tests.support.console_rig import console_rig
from tests.support.servers import free_port, wait_until


def timed(client: httpx.Client, url: str, count: int, headers: dict[str, str] | None = None) -> list[float]:
    client.get(url, headers=headers).raise_for_status()  # warm: templates compiled, connections open
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(ordered[int(len(ordered) * 0.95)], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, console_rig(Path(folder)) as rig:
        # Started as the hub starts it (host and port): a pre-bound socket handed to uvicorn, as the browser
        # tests' LiveServer does, adds ~40 ms of delayed-ACK wait to every keep-alive request here.
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(rig.app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: server.started, "the console server", timeout=10)
            rig.point_links_at(url)
            order = rig.vibration_order()
            link = rig.link_for(order.code, "wang")
            with rig.sessions() as session:
                _, key = create_key(session=session, role=Role.CREW, name="bench", now=rig.clock.now())
            with httpx.Client(base_url=url, timeout=10) as client:
                api = timed(client, f"/sites/{rig.site.id}/work-orders/{order.code}", args.requests, {"X-API-Key": key})
                page = timed(client, link, args.requests)
                size = len(client.get(link).content)
        finally:
            server.should_exit = True
            thread.join(10)
    result = {
        "requests": args.requests,
        "api": summary(api),
        "page": summary(page),
        "page_bytes": size,
        "ratio": round(statistics.median(page) / statistics.median(api), 2),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
