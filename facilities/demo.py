"""`facilities demo`: a private broker and InfluxDB, the ingest service and a simulated community."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from core.clock import Clock, SystemClock
from core.config import Site
from core.registry import AssetRegistry
from core.settings import Settings
from facilities.bootstrap import Ingest, build_ingest, build_store
from facilities.localservers import Influxd, Mosquitto
from simulators.community import CommunitySimulator
from simulators.publisher import DevicePublisher

SAMPLE_ASSETS = ("B1-0101-E", "B1-0101-W", "B1-L1", "B1-CORRIDOR-LIGHT")


def run_demo(
    site: Site,
    data_dir: Path,
    *,
    rounds: int | None,
    interval_s: float,
    stop: threading.Event,
    echo: Callable[[str], None],
    clock: Clock | None = None,
) -> None:
    clock = clock or SystemClock()
    broker = Mosquitto(data_dir / "mosquitto")
    influx = Influxd(data_dir / "influxd")
    broker.start()
    influx.start()
    echo(f"MQTT broker on {broker.url}, InfluxDB on {influx.url} (data in {data_dir})")
    settings = Settings(
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_db="facilities",
        data_dir=data_dir,
        site_file=Path(site.source),
    )
    service = build_ingest(settings, site=site, clock=clock)
    store = build_store(settings)
    registry = AssetRegistry.from_site(site)
    simulator = CommunitySimulator(site, start=clock.now())
    publisher = DevicePublisher(broker.host, broker.port, site.id)
    service.start()
    if not service.collector.subscribed.wait(30):
        raise RuntimeError(f"the collector could not subscribe at {broker.url}; see {broker.log_path}")
    try:
        done = sent_total = 0
        while rounds is None or done < rounds:
            sent = publisher.publish(simulator.step(clock.now()))
            sent_total += sent
            done += 1
            # Wait until this round is received and drained, so the printout shows what InfluxDB holds.
            while (_committed(service) < sent_total or service.spool.depth) and not stop.wait(0.1):
                pass
            echo(
                f"round {done}: published {sent}; stored {service.writer.stats.written} in total, "
                f"{service.spool.dead_letter_count()} dead letters"
            )
            for asset_id in SAMPLE_ASSETS:
                if asset_id in registry:
                    latest = store.latest(registry.get(asset_id))
                    if latest is not None:
                        shown = ", ".join(f"{k}={v}" for k, v in sorted(latest.fields.items()))
                        echo(f"  {asset_id} @ {latest.ts.isoformat(timespec='seconds')}: {shown}")
            if stop.wait(interval_s):
                break
    finally:
        publisher.close()
        service.stop()
        influx.stop()
        broker.stop()


def _committed(service: Ingest) -> int:
    return service.collector.stats.accepted + service.collector.stats.rejected
