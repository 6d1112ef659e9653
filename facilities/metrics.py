"""Prometheus metrics for the ingest path, read from the components' counters at scrape time.

The hot path only increments plain integers; this collector turns them into metric families.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

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
