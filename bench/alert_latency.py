"""Alert latency: an elevator's fault published over MQTT → the crew's alert received over MQTT.

    .venv/bin/python bench/alert_latency.py --samples 200

A real Mosquitto and the real hub (collector → spool → rules → work order + outbox in one transaction →
dispatcher → MQTT channel), the embedded store and SQLite, as `facilities run` builds them. A separate
process plays the crew's phone and the elevator: for each sample it publishes a fault of a car that has no
open order yet and waits for the crew's alert. Beside it, in the same process and the same run, a bare MQTT
round trip (publish → the same client receives it) is the baseline. Two phases: idle, then under
`--load` meter messages a second (QoS 1) from a third process. Prints JSON with p50/p95/p99 of both, the
ratio of the alert's p99 to the bare round trip's, and whether the targets hold: p99 under 100 ms idle and
under 250 ms under load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import bootstrap
from tests.support.servers import Mosquitto, wait_until

SITE_ID = "bench"
TARGET_P99_MS = {"idle": 100.0, "load": 250.0}
ALERTS = """
locale = "zh-CN"
[channels.app]
type = "mqtt"
topic_prefix = "bench"

[teams.crew]
name = "电梯运维"
channels = ["app"]
members = [{ id = "wang", name = "王师傅" }]

[[rules]]
teams = ["crew"]
"""


def site_text(elevators: int) -> str:
    """A community of 2 towers × 100 units (water and electricity meters) and `elevators` cars with one rule."""
    lines = [
        f'use_builtin_rules = false\n[site]\nid = "{SITE_ID}"\nname = "Bench"\ntimezone = "Asia/Shanghai"\n',
        *(
            f'[[buildings]]\nid = "B{b}"\nfloors = 50\nunit_layout = {{ last_floor = 50, units_per_floor = 2 }}\n'
            for b in (1, 2)
        ),
        '[[meter_groups]]\nutilities = ["water", "electricity"]\n',
        *(f'[[elevators]]\nid = "E{n:03d}"\nbuilding = "B1"\nhighest_floor = 50\n' for n in range(elevators)),
        '[[rules]]\nid = "fault"\nkind = "state"\nseverity = "critical"\ntargets = { kinds = ["elevator"] }\n'
        'title = { zh = "电梯故障", en = "Elevator fault" }\n'
        'conditions = [{ field = "fault_code", op = "ne", value = 0 }]\n',
    ]
    return "\n".join(lines)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(cut[49], 1), "p95": round(cut[94], 1), "p99": round(cut[98], 1), "max": round(ordered[-1], 1)}


class Phone:
    """One paho client that publishes and receives: times both the bare round trip and the alert."""

    def __init__(self, port: int) -> None:
        self.arrived = threading.Event()
        self.expect = ""
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-phone", protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        # Nagle off, as the hub's own clients: otherwise the baseline measures a delayed ACK (~40 ms), not MQTT.
        self.client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[union-attr]
        self.client.subscribe([("bench/alerts/crew", 1), ("bench/ping", 1)])
        self.client.loop_start()
        assert subscribed.wait(10)

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.topic == "bench/ping" and message.payload.decode() == self.expect:
            self.arrived.set()
        elif message.topic == "bench/alerts/crew":
            body = json.loads(message.payload)
            if body["kind"] == "alert" and body["facts"].get("asset_id") == self.expect:
                self.arrived.set()

    def timed(self, topic: str, payload: str, expect: str) -> float:
        self.expect = expect
        self.arrived.clear()
        started = time.perf_counter()
        self.client.publish(topic, payload, qos=1)
        if not self.arrived.wait(10):
            raise TimeoutError(f"nothing arrived for {expect} within 10 s")
        return (time.perf_counter() - started) * 1000


def phone_process(port: int, cars: list[str], results: Connection) -> None:
    phone = Phone(port)
    bare, alert = [], []
    for n, car in enumerate(cars):
        bare.append(phone.timed("bench/ping", f"ping-{n}", f"ping-{n}"))
        topic = f"facilities/{SITE_ID}/{car}/telemetry"
        alert.append(phone.timed(topic, json.dumps({"fault_code": 17, "state": "stopped", "floor": 3}), car))
        time.sleep(0.01)  # a breath between samples, so one sample's tail is not the next one's queue
    results.send({"bare": bare, "alert": alert})


def load_process(port: int, meters: list[str], rate: int, stop: threading.Event | None, seconds: float) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-load", protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    start_ts = int(time.time()) - 2 * 86_400
    started, n = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        due = started + n / rate
        if (ahead := due - time.perf_counter()) > 0:
            time.sleep(ahead)
        meter = meters[n % len(meters)]
        body = json.dumps({"ts": start_ts + (n // len(meters)) * 60, "total": 100.0 + n / 1000})
        client.publish(f"facilities/{SITE_ID}/{meter}/telemetry", body, qos=1)
        n += 1
    client.disconnect()
    client.loop_stop()


def run_phase(port: int, cars: list[str], *, meters: list[str] | None, rate: int) -> dict[str, object]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    load = None
    if meters:
        # Long enough to outlast the samples; stopped once they are done.
        load = context.Process(target=load_process, args=(port, meters, rate, None, 600.0), daemon=True)
        load.start()
        time.sleep(2)  # the load reaches its rate before the first sample
    phone = context.Process(target=phone_process, args=(port, cars, send))
    phone.start()
    result = receive.recv()
    phone.join()
    if load is not None:
        load.terminate()
        load.join()
    bare, alert = percentiles(result["bare"]), percentiles(result["alert"])
    return {"bare_round_trip_ms": bare, "alert_ms": alert, "ratio_p99": round(alert["p99"] / bare["p99"], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200, help="alerts timed per phase (at least 200)")
    parser.add_argument("--load", type=int, default=2000, help="meter messages a second in the loaded phase")
    args = parser.parse_args()
    site = parse_site(site_text(2 * args.samples))
    cars = sorted(site.elevators)
    meters = sorted(site.meters)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "alerts.toml").write_text(ALERTS)
        broker = Mosquitto(work / "mosquitto", nodelay=True)  # as deploy/mosquitto/mosquitto.conf
        broker.start()
        settings = Settings(
            mqtt_url=broker.url,
            mqtt_client_id="bench-hub",
            data_dir=work / "data",
            database_url=f"sqlite:///{work}/facilities.db",
            alerts_file=work / "alerts.toml",
        )
        hub = bootstrap(settings, site=site)
        hub.start()
        try:
            assert hub.ingest.collector.subscribed.wait(10)
            idle = run_phase(broker.port, cars[: args.samples], meters=None, rate=0)
            loaded = run_phase(broker.port, cars[args.samples :], meters=meters, rate=args.load)
            wait_until(lambda: hub.ingest.spool.lag("rules") == 0, "the rules to catch up", 120)
            received = hub.ingest.collector.stats.received
        finally:
            hub.stop()
            broker.stop()
    report = {
        "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
        "samples_per_phase": args.samples,
        "load_msg_per_s": args.load,
        "hub_received": received,
        "idle": idle,
        "load": loaded,
        "targets_p99_ms": TARGET_P99_MS,
        "targets_met": {
            phase: result["alert_ms"]["p99"] < TARGET_P99_MS[phase]  # type: ignore[index]
            for phase, result in (("idle", idle), ("load", loaded))
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
