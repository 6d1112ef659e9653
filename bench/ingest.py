"""Ingest benchmark: our full path against a bare paho subscriber and bare InfluxDB writes, same run.

    .venv/bin/python bench/ingest.py --messages 20000

N QoS 1 meter messages are published from a separate process into a real Mosquitto and queued for a
persistent session while the consumer is offline; the consumer then connects and is timed until it has
them all, so the publisher's speed does not cap the consumer's. Three consumers:
  (a) bare:   a paho subscriber that only counts (auto-ack);
  (b) influx: N points written straight to influxd as line protocol, batches of 5,000;
  (c) ours:   MQTT collector → SQLite spool → InfluxDB until all N are queryable.
Prints JSON with the three rates (messages/s) and ratio = c / min(a, b).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import Settings
from core.site_loader import load_site
from facilities.bootstrap import build_ingest
from tests.support.servers import Influxd, Mosquitto, wait_until

SITE_FILE = Path(__file__).resolve().parents[1] / "examples" / "site.toml"


def payloads(count: int, meters: list[str], start_ts: int, site_id: str = "lakeview") -> list[tuple[str, str]]:
    return [
        (
            f"facilities/{site_id}/{meters[n % len(meters)]}/telemetry",
            json.dumps({"ts": start_ts + (n // len(meters)) * 60, "total": 1000.0 + n / 10}),
        )
        for n in range(count)
    ]


def publisher_process(port: int, messages: list[tuple[str, str]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(topic, body, qos=1) for topic, body in messages]
    for info in infos:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()


def publish_from_other_process(port: int, messages: list[tuple[str, str]]) -> None:
    process = multiprocessing.get_context("spawn").Process(target=publisher_process, args=(port, messages))
    process.start()
    process.join(600)
    if process.exitcode != 0:
        raise RuntimeError(f"publisher exited with {process.exitcode}")


def bare_subscriber_rate(broker: Mosquitto, messages: list[tuple[str, str]], site_id: str = "lakeview") -> float:
    received = 0
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, _m: mqtt.MQTTMessage) -> None:
        nonlocal received
        received += 1
        if received == len(messages):
            done.set()

    def client() -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", clean_session=False)
        c.on_message = on_message
        c.on_connect = lambda cl, *_: cl.subscribe(f"facilities/{site_id}/+/telemetry", qos=1)
        return c

    first = client()  # create the persistent session, then go away
    first.connect("127.0.0.1", broker.port)
    first.loop_start()
    wait_until(lambda: first.is_connected(), "bare subscriber", 10)
    time.sleep(0.5)  # let the SUBACK arrive before disconnecting (bench only; no test relies on it)
    first.disconnect()
    first.loop_stop()
    publish_from_other_process(broker.port, messages)
    second = client()
    started = time.perf_counter()
    second.connect("127.0.0.1", broker.port)
    second.loop_start()
    if not done.wait(600):
        raise RuntimeError(f"bare subscriber got {received} of {len(messages)}")
    elapsed = time.perf_counter() - started
    second.disconnect()
    second.loop_stop()
    return len(messages) / elapsed


def direct_influx_rate(influx: Influxd, messages: list[tuple[str, str]]) -> float:
    httpx.post(f"{influx.url}/query", data={"q": 'CREATE DATABASE "direct"'}).raise_for_status()
    lines = []
    for topic, body in messages:
        data = json.loads(body)
        meter = topic.split("/")[2]
        lines.append(f"meter,meter_id={meter},site=lakeview total={data['total']} {data['ts'] * 10**9}")
    started = time.perf_counter()
    with httpx.Client(timeout=60) as http:
        for i in range(0, len(lines), 5000):
            body = "\n".join(lines[i : i + 5000]).encode()
            http.post(
                f"{influx.url}/write", params={"db": "direct", "precision": "ns"}, content=body
            ).raise_for_status()
    return len(lines) / (time.perf_counter() - started)


def our_path_rate(broker: Mosquitto, influx: Influxd, messages: list[tuple[str, str]], data_dir: Path) -> float:
    settings = Settings(
        mqtt_url=broker.url, mqtt_client_id="bench-ingest", influx_url=influx.url, influx_db="ours",
        data_dir=data_dir, site_file=SITE_FILE,
    )  # fmt: skip
    site = load_site(SITE_FILE)
    first = build_ingest(settings, site=site)
    first.start()
    if not first.collector.subscribed.wait(10):
        raise RuntimeError("ingest did not subscribe")
    first.stop()
    publish_from_other_process(broker.port, messages)

    http = httpx.Client(base_url=influx.url, timeout=30)

    def stored() -> int:
        response = http.post("/query", data={"q": 'SELECT count("total") FROM "meter"', "db": "ours"})
        series = response.json()["results"][0].get("series")
        return int(series[0]["values"][0][1]) if series else 0

    service = build_ingest(settings, site=site)
    started = time.perf_counter()
    service.start()
    deadline = time.monotonic() + 600
    while stored() < len(messages):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stored()} of {len(messages)} stored")
        time.sleep(0.1)  # polling InfluxDB costs CPU that the path under test would otherwise have
    elapsed = time.perf_counter() - started
    service.stop()
    http.close()
    return len(messages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    site = load_site(SITE_FILE)
    meters = sorted(site.meters)
    start_ts = (int(time.time()) // 86_400 - 20) * 86_400
    messages = payloads(args.messages, meters, start_ts)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        broker = Mosquitto(root / "mosquitto")
        influx = Influxd(root / "influxd")
        broker.start()
        influx.start()
        try:
            bare = bare_subscriber_rate(broker, messages)
            direct = direct_influx_rate(influx, messages)
            ours = our_path_rate(broker, influx, messages, root / "data")
        finally:
            influx.stop()
            broker.stop()
    result = {
        "messages": args.messages,
        "bare_paho_subscriber_per_s": round(bare),
        "direct_influx_writes_per_s": round(direct),
        "ours_collector_spool_influx_per_s": round(ours),
        "ratio": round(ours / min(bare, direct), 3),
        "machine": f"{platform.machine()} {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
