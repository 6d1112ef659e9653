"""InfluxV2Store against a real VictoriaMetrics, a peer of InfluxDB's `/api/v2/write`.

VictoriaMetrics stores each line-protocol field as a series named `<measurement>_<field>` with the tags
as labels, in milliseconds; we read the points back with its export API, independent of our store.
Reads are InfluxQL on `/query`, checked against the local InfluxDB 1.x (VictoriaMetrics has no InfluxQL).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.measurements import AssetKind
from core.reading import from_ns
from core.registry import AssetInfo
from storage.influx_v2 import InfluxV2Store
from storage.lineprotocol import encode
from storage.points import Point
from storage.store import StoreRejected, StoreUnavailable
from tests.support.services import Influxd, VictoriaMetrics, free_port, make_server

Series = dict[tuple[str, frozenset[tuple[str, str]]], list[tuple[int, float]]]

MS = 1_000_000


class StockVictoriaMetrics(VictoriaMetrics):
    """VictoriaMetrics as it starts without our -dedup.minScrapeInterval=1ms."""

    def command(self) -> list[str]:
        return [arg for arg in super().command() if not arg.startswith("-dedup.")]


@pytest.fixture
def stock_victoria_metrics(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = make_server(StockVictoriaMetrics, tmp_path / "vm-stock")
    server.start()
    yield server
    server.stop()


def make_store(url: str) -> InfluxV2Store:
    # VictoriaMetrics ignores token, org and bucket; a short timeout keeps failing tests short.
    return InfluxV2Store(url, token="unused", org="lakeview", bucket="facilities", timeout_s=3.0)


@pytest.fixture
def store(victoria_metrics: VictoriaMetrics) -> Iterator[InfluxV2Store]:
    writer = make_store(victoria_metrics.url)
    yield writer
    writer.close()


def export(server: VictoriaMetrics, selector: str = '{__name__=~"(meter|circuit)_.*"}') -> Series:
    """Every raw sample VictoriaMetrics holds for the selector, as (ms timestamp, value) per series."""
    # Freshly written samples sit in an in-memory buffer for up to a second; flush makes them searchable.
    httpx.get(f"{server.url}/internal/force_flush", timeout=10).raise_for_status()
    response = httpx.get(f"{server.url}/api/v1/export", params={"match[]": selector}, timeout=10)
    response.raise_for_status()
    series: Series = {}
    for line in response.text.splitlines():
        row = json.loads(line)
        labels = dict(row["metric"])
        name = labels.pop("__name__")
        key = (name, frozenset(labels.items()))
        series[key] = sorted(zip(row["timestamps"], row["values"], strict=True))
    return series


def recent_ns(minutes_ago: int) -> int:
    """A whole-millisecond timestamp inside VictoriaMetrics' default one-month retention."""
    return (time.time_ns() // MS - minutes_ago * 60_000) * MS


def meter(meter_id: str, total: float, rate: float, ts_ns: int) -> Point:
    tags = {"site": "lakeview", "building": "B1", "unit": meter_id[:7], "utility": "water", "meter_id": meter_id}
    return Point("meter", tags, {"total": total, "rate": rate}, ts_ns)


def batch() -> list[Point]:
    t0 = recent_ns(10)
    meters = ("B1-0101-W", "B1-0102-W")
    points = [meter(m, 100.0 + i + 0.25, i * 0.5, t0 + i * 60_000 * MS) for m in meters for i in range(3)]
    tags = {"site": "lakeview", "building": "B1", "area": "B1-corridor", "circuit_id": "B1-CORRIDOR-LIGHT"}
    points.append(Point("circuit", tags, {"on": True, "power_w": 1180.5}, t0))
    return points


def expected(points: list[Point]) -> Series:
    """What VictoriaMetrics should hold for the points: a series per field, values as floats, ms times."""
    series: Series = {}
    for point in points:
        for name, value in point.fields.items():
            key = (f"{point.measurement}_{name}", frozenset(point.tags.items()))
            series.setdefault(key, []).append((point.ts_ns // MS, float(value)))
    return {key: sorted(samples) for key, samples in series.items()}


def test_batch_lands_with_names_labels_values_and_times(
    store: InfluxV2Store, victoria_metrics: VictoriaMetrics
) -> None:
    points = batch()
    store.write(points)
    held = export(victoria_metrics)
    assert held == expected(points)
    names = {name for name, _ in held}
    assert names == {"meter_total", "meter_rate", "circuit_on", "circuit_power_w"}


def test_replayed_batch_does_not_duplicate(store: InfluxV2Store, victoria_metrics: VictoriaMetrics) -> None:
    points = batch()
    store.write(points)
    export(victoria_metrics)  # the first copy is flushed to storage before the replay arrives
    store.write(points)  # e.g. the spool replays a batch whose confirmation was lost
    assert export(victoria_metrics) == expected(points)


def test_without_dedup_flag_victoriametrics_keeps_replayed_duplicates(stock_victoria_metrics: VictoriaMetrics) -> None:
    # Documents why a VictoriaMetrics behind this store needs -dedup.minScrapeInterval=1ms.
    points = batch()[:1]
    store = make_store(stock_victoria_metrics.url)
    try:
        store.write(points)
        store.write(points)
    finally:
        store.close()
    [samples] = [s for (name, _), s in export(stock_victoria_metrics).items() if name == "meter_total"]
    assert len(samples) == 2 and samples[0] == samples[1]


def test_stopped_server_is_unavailable_quickly_and_the_write_succeeds_once_it_is_back(
    store: InfluxV2Store, victoria_metrics: VictoriaMetrics
) -> None:
    first = [meter("B1-0103-W", 1.0, 0.5, recent_ns(20))]
    store.write(first)  # a pooled keep-alive connection now exists and goes stale with the server
    victoria_metrics.stop()
    points = batch()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.write(points)
    assert time.monotonic() - started < 2, "no long client-internal retries"
    victoria_metrics.start()
    store.write(points)
    assert export(victoria_metrics) == expected(first + points)


def test_nothing_listening_is_unavailable_quickly() -> None:
    store = make_store(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.write(batch())
    store.close()
    assert time.monotonic() - started < 2


def test_refused_line_is_rejected_and_the_store_keeps_working(
    store: InfluxV2Store, victoria_metrics: VictoriaMetrics
) -> None:
    # VictoriaMetrics refuses a line longer than -influx.maxLineSize (256 KiB by default) with 400.
    huge = Point("meter", {"site": "lakeview", "meter_id": "X"}, {"note": "x" * 300_000}, recent_ns(1))
    with pytest.raises(StoreRejected, match="400"):
        store.write([huge])
    points = batch()
    store.write(points)
    assert export(victoria_metrics) == expected(points)


def test_ensure_dbrp_skips_victoriametrics(store: InfluxV2Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="storage.influx_v2")
    assert store.ensure_dbrp() is False
    assert "not an InfluxDB 2.x" in caplog.text


def test_ensure_dbrp_skips_influxdb1(influxd: Influxd) -> None:
    store = make_store(influxd.url)
    try:
        assert store.ensure_dbrp() is False
    finally:
        store.close()


def test_reads_are_influxql_on_query_with_the_token_header(influxd: Influxd) -> None:
    # The InfluxQL endpoint InfluxDB 2.x serves for reads is the 1.x one; this InfluxDB 1.x (no auth)
    # answers it, so the delegation and the Token header are exercised against a real server.
    influxd.query('CREATE DATABASE "facilities"', db="facilities")
    points = batch()
    httpx.post(
        f"{influxd.url}/write", params={"db": "facilities", "precision": "ns"}, content=encode(points), timeout=10
    ).raise_for_status()
    asset = AssetInfo("B1-0101-W", AssetKind.METER, dict(points[0].tags))
    store = make_store(influxd.url)
    try:
        latest = store.latest(asset)
        history = store.history(asset, "total", from_ns(points[0].ts_ns), from_ns(points[2].ts_ns + 1000))
        first_last = store.first_last(asset, "total", from_ns(points[0].ts_ns), from_ns(points[2].ts_ns + 1000))
        before = store.last_before(asset, "total", from_ns(points[2].ts_ns))
        after = store.first_at_or_after(asset, "total", from_ns(points[1].ts_ns))
    finally:
        store.close()
    assert latest is not None and latest.ts == from_ns(points[2].ts_ns)
    assert latest.fields == {"total": 102.25, "rate": 1.0}
    assert [(s.ts, s.value) for s in history] == [(from_ns(p.ts_ns), p.fields["total"]) for p in points[:3]]
    assert first_last is not None and (first_last[0].value, first_last[1].value) == (100.25, 102.25)
    assert before is not None and before.value == 101.25
    assert after is not None and after.value == 101.25


def test_reads_from_victoriametrics_say_it_answers_no_influxql(store: InfluxV2Store) -> None:
    """VictoriaMetrics takes the writes but answers every InfluxQL query with its database list: a read is refused
    as "store unavailable" naming why (the API's 503, the console's "readings unavailable"), never a bare 500."""
    points = batch()
    store.write(points)
    with pytest.raises(StoreUnavailable, match=r"answers no InfluxQL"):
        store.latest(AssetInfo("B1-0101-W", AssetKind.METER, dict(points[0].tags)))
