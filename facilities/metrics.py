"""Prometheus metrics for the ingest path, read from the components' counters at scrape time.

The hot path only increments plain integers; this collector turns them into metric families.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from collectors.mqtt.discovered import asset_availability
from core.clock import Clock
from core.inventory import inventory
from rules.worker import RulesStats

if TYPE_CHECKING:
    from facilities.ingest import Ingest


class IngestMetrics(Collector):
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        c = self.ingest.collector.stats
        s = self.ingest.spool.stats
        w = self.ingest.writer.stats
        yield _counter("facilities_mqtt_received", "MQTT messages received", c.received)
        yield _counter("facilities_mqtt_undecodable", "MQTT messages that could not be decoded", c.rejected)
        yield _counter("facilities_mqtt_connects", "Successful connections to the broker", c.connects)
        yield _counter(
            "facilities_mqtt_backpressure_waits",
            "Times a message waited un-acked because the spool was full",
            c.backpressure_waits,
        )
        yield _counter("facilities_spool_readings_spooled", "Readings committed to the spool", s.spooled)
        yield _counter(
            "facilities_dead_letters",
            "Records sent to dead letters (bad input or refused by the store)",
            s.dead_lettered,
        )
        yield _counter("facilities_spool_refused_full", "Offers refused because the spool was full", s.refused_full)
        depth = GaugeMetricFamily("facilities_spool_depth", "Readings waiting in the spool")
        depth.add_metric([], self.ingest.spool.depth)
        yield depth
        yield _counter("facilities_store_readings_written", "Readings confirmed by the store", w.written)
        yield _counter("facilities_store_write_retries", "Failed store writes that will be retried", w.retries)
        latency = SummaryMetricFamily("facilities_store_write_seconds", "Latency of confirmed batch writes")
        latency.add_metric([], count_value=w.batches, sum_value=w.write_seconds)
        yield latency


class DeviceMetrics(Collector):
    """The device inventory as metrics: devices by kind, building and state, and each device's last reading time
    (for the System dashboard's devices panel and issue 20's board)."""

    def __init__(self, ingest: Ingest, clock: Clock) -> None:
        self.ingest = ingest
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        ingest = self.ingest
        available = asset_availability(ingest.discovery, ingest.site.mqtt_mappings)
        rows = inventory(ingest.site, ingest.registry, ingest.seen, self.clock.now(), available=available)
        counts: collections.Counter[tuple[str, str, str]] = collections.Counter(
            (row.kind, row.building or "", row.state.value) for row in rows
        )
        devices = GaugeMetricFamily(
            "facilities_devices", "Devices by kind, building and state (online, offline, unknown)",
            labels=["kind", "building", "state"],
        )  # fmt: skip
        for (kind, building, state), count in sorted(counts.items()):
            devices.add_metric([kind, building, state], count)
        yield devices
        seen = GaugeMetricFamily(
            "facilities_device_last_seen_timestamp_seconds", "Time of each device's newest reading",
            labels=["asset_id", "kind", "building"],
        )  # fmt: skip
        for row in rows:
            if row.last_seen is not None:
                seen.add_metric([row.asset_id, row.kind, row.building or ""], row.last_seen.timestamp())
        yield seen


class RulesMetrics(Collector):
    """The rules worker's counters; `late` grows when one asset's readings reach the spool out of order."""

    def __init__(self, stats: RulesStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        r = self.stats
        yield _counter("facilities_rules_readings_judged", "Readings the rules judged", r.judged)
        yield _counter(
            "facilities_rules_readings_late",
            "Readings older than (or as old as) their asset's last judged one: stored, judged by no rule",
            r.late,
        )
        yield _counter("facilities_rules_alarms_raised", "Alarms raised", r.raised)


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def serve_metrics(ingest: Ingest, port: int, address: str = "127.0.0.1") -> CollectorRegistry:
    """`facilities ingest`'s metrics on their own port."""
    registry = CollectorRegistry()
    registry.register(IngestMetrics(ingest))
    return serve_registry(registry, port, address)


def serve_registry(registry: CollectorRegistry, port: int, address: str = "127.0.0.1") -> CollectorRegistry:
    """Serve a registry's metrics at http://address:port/metrics (no key: bind it to a private address)."""
    start_http_server(port, addr=address, registry=registry)
    return registry
