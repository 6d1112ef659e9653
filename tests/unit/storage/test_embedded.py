"""What the embedded store promises beyond the shared contract: durability, atomic batches, threads."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.measurements import AssetKind
from core.registry import AssetInfo
from storage.embedded import EmbeddedStore
from storage.points import Point
from storage.store import Aggregate, StoreRejected, StoreUnavailable

METER = AssetInfo("M1", AssetKind.METER, {"site": "s", "building": "B1", "meter_id": "M1"})
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
T0_NS = 1_795_680_000_000_000_000  # 2026-11-26T08:00:00Z: 20 783 days × 86 400 s + 28 800 s
SECOND = 1_000_000_000


def meter_point(ts_ns: int, **fields: float | int | bool | str) -> Point:
    return Point("meter", METER.tags, fields, ts_ns)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "readings.db")


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "r.db").close()

    with sqlite3.connect(tmp_path / "r.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_points_and_field_types_survive_a_reopen(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "r.db") as first:
        first.write([meter_point(T0_NS, total=12.5, rate=2)])

    with EmbeddedStore(tmp_path / "r.db") as again:
        latest = again.latest(METER)
        assert latest is not None
        assert (latest.ts, dict(latest.fields)) == (T0, {"total": 12.5, "rate": 2})
        assert type(latest.fields["rate"]) is int
        with pytest.raises(StoreRejected, match="'rate'"):
            again.write([meter_point(T0_NS + SECOND, rate=2.5)])


def test_a_rejected_batch_writes_nothing_and_leaves_no_trace(store: EmbeddedStore) -> None:
    store.write([meter_point(T0_NS, total=1.0)])
    other = AssetInfo("M2", AssetKind.METER, {"meter_id": "M2"})
    batch = [
        Point("meter", other.tags, {"total": 5.0, "fresh": 1.5}, T0_NS),  # a new series and a new field…
        meter_point(T0_NS + SECOND, total=3),  # …in a batch that fails on this type change
    ]

    with pytest.raises(StoreRejected, match="field type conflict"):
        store.write(batch)

    assert store.latest(other) is None
    assert store.history(METER, "total", T0, T0 + timedelta(hours=1)) == store.history(
        METER, "total", T0, T0 + timedelta(seconds=1)
    )
    # The rolled-back series id must not linger in the cache, and "fresh" has no type yet.
    store.write([Point("meter", other.tags, {"total": 6.0, "fresh": 7}, T0_NS)])
    latest = store.latest(other)
    assert latest is not None
    assert dict(latest.fields) == {"total": 6.0, "fresh": 7}
    assert type(latest.fields["fresh"]) is int


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "has no fields"),
        ({"total": float("nan")}, "not finite"),
        ({"total": float("inf")}, "not finite"),
        ({"count": 2**63}, "not a float, integer"),
    ],
)
def test_what_influxdb_would_refuse_is_rejected(
    store: EmbeddedStore, fields: dict[str, float | int], message: str
) -> None:
    with pytest.raises(StoreRejected, match=message):
        store.write([Point("meter", METER.tags, fields, T0_NS)])


def test_empty_tag_values_do_not_make_another_series(store: EmbeddedStore) -> None:
    # The line protocol encoder drops empty tags, so InfluxDB sees one series here; so must we.
    store.write([Point("meter", {**METER.tags, "unit": ""}, {"total": 1.0}, T0_NS)])
    store.write([meter_point(T0_NS, total=2.0)])

    found = store.history(METER, "total", T0, T0 + timedelta(hours=1))

    assert [(s.ts, s.value) for s in found] == [(T0, 2.0)]


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "r.db") as writer, EmbeddedStore(tmp_path / "r.db") as reader:
        writer.write([meter_point(T0_NS, total=1.0)])
        reader.write([meter_point(T0_NS + SECOND, total=2.0)])  # the series exists; reader's cache is cold
        writer.write([meter_point(T0_NS + 2 * SECOND, total=3.0)])

        found = reader.history(METER, "total", T0, T0 + timedelta(hours=1))

        assert [s.value for s in found] == [1.0, 2.0, 3.0]


def test_a_locked_file_is_unavailable_not_rejected(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "r.db", busy_timeout_s=0.05)
    blocker = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            store.write([meter_point(T0_NS, total=1.0)])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.write([meter_point(T0_NS, total=1.0)])  # and it works once the lock is gone
    assert store.latest(METER) is not None
    store.close()


def test_a_closed_store_refuses_use(store: EmbeddedStore) -> None:
    store.close()

    with pytest.raises(RuntimeError, match="closed"):
        store.latest(METER)


def test_a_writer_thread_and_reader_threads_share_the_store(store: EmbeddedStore) -> None:
    batches, per_batch = 100, 10
    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[list[datetime]] = []

    def write() -> None:
        try:
            for b in range(batches):
                base = T0_NS + b * per_batch * SECOND
                store.write([meter_point(base + i * SECOND, total=float(b * per_batch + i)) for i in range(per_batch)])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        times: list[datetime] = []
        try:
            while not done.is_set():
                latest = store.latest(METER)
                if latest is not None:
                    times.append(latest.ts)
                store.history(METER, "total", T0, T0 + timedelta(hours=1), every=timedelta(minutes=1))
        except BaseException as exc:
            errors.append(exc)
        seen.append(times)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(seen) == 4
    for times in seen:
        assert times == sorted(times)  # a reader never sees the newest point go back in time
    counted = store.history(
        METER, "total", T0, T0 + timedelta(hours=1), every=timedelta(hours=1), aggregate=Aggregate.COUNT
    )
    assert [(s.ts, s.value) for s in counted] == [(T0, 1000)]  # 100 batches × 10 points, 1 s apart
