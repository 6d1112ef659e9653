"""One contract for every ReadingStore: InfluxDB 1.x (a real influxd) and the embedded SQLite store.

Every expected value is written out by hand (the arithmetic is in the comments); nothing expected
is computed by the code under test. Values and types are compared together, because 12.0 == 12
in Python and InfluxDB's JSON writes the float 12.0 as 12.


This file: writing, reading back, replays and field types. The same contract continues in
test_store_buckets.py, test_store_boundaries.py and test_store_hostile_names.py; the shared site and
helpers are in store_cases.py, the `store` fixture (both backends) in conftest.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.reading import FieldValue
from storage.influx import InfluxV1Store
from storage.store import Aggregate, StoreRejected
from tests.integration.storage.store_cases import CST, LIFT, NEIGHBOUR, US, WATER, Store, at, point, samples, typed
from tests.support.services import Influxd

pytestmark = pytest.mark.integration


def test_write_then_latest_is_the_newest_point_of_that_asset(store: Store) -> None:
    store.write(
        [
            point(WATER, at(8, 0), {"total": 10.5, "rate": 0.5}),
            point(WATER, at(8, 15), {"total": 12.0, "rate": 0.25}),
            point(NEIGHBOUR, at(9, 0), {"total": 99.0}),  # newer, but another meter
        ]
    )

    latest = store.latest(WATER)

    assert latest is not None
    assert latest.ts == at(8, 15)
    assert typed(latest.fields) == {"total": ("float", 12.0), "rate": ("float", 0.25)}
    neighbour = store.latest(NEIGHBOUR)
    assert neighbour is not None
    assert (neighbour.ts, typed(neighbour.fields)) == (at(9, 0), {"total": ("float", 99.0)})


def test_latest_keeps_each_fields_last_value_and_time(store: Store) -> None:
    """A Shelly's energy message, then a power message without `total`: `total` stays in latest (issue 19)."""
    store.write([point(WATER, at(8, 0), {"total": 8123.4567, "rate": 0.5}), point(WATER, at(8, 5), {"rate": 0.25})])

    latest = store.latest(WATER)

    assert latest is not None
    assert latest.ts == at(8, 5)
    assert typed(latest.fields) == {"total": ("float", 8123.4567), "rate": ("float", 0.25)}
    assert latest.times == {"total": at(8, 0), "rate": at(8, 5)}


def test_fields_of_one_time_merge_and_a_rewrite_replaces_only_its_fields(store: Store) -> None:
    store.write([point(WATER, at(8, 0), {"total": 1.5})])
    store.write([point(WATER, at(8, 0), {"rate": 0.75})])
    store.write([point(WATER, at(8, 0), {"total": 2.5})])

    latest = store.latest(WATER)

    assert latest is not None
    assert (latest.ts, typed(latest.fields)) == (at(8, 0), {"total": ("float", 2.5), "rate": ("float", 0.75)})


def test_a_replayed_batch_is_not_duplicated(store: Store) -> None:
    batch = [point(WATER, at(8, 5 * i), {"total": 100.0 + i}) for i in range(4)]  # 08:00 … 08:15

    store.write(batch)
    store.write(batch)
    store.write([point(WATER, at(8, 5), {"total": 101.5})])  # a replay carrying a corrected value

    raw = store.history(WATER, "total", at(8, 0), at(9, 0))
    assert samples(raw) == [
        (at(8, 0), "float", 100.0),
        (at(8, 5), "float", 101.5),
        (at(8, 10), "float", 102.0),
        (at(8, 15), "float", 103.0),
    ]
    counted = store.history(WATER, "total", at(8, 0), at(9, 0), every=timedelta(hours=1), aggregate=Aggregate.COUNT)
    assert samples(counted) == [(at(8, 0), "int", 4)]


def test_raw_history_is_half_open_oldest_first_and_of_that_asset_only(store: Store) -> None:
    store.write(
        [
            point(WATER, at(8, 30), {"total": 3.0}),
            point(WATER, at(7, 59, 59, 999_999), {"total": -1.0}),  # just before start: out
            point(WATER, at(8, 0), {"total": 1.0}),  # exactly start: in
            point(WATER, at(9, 0), {"total": 99.0}),  # exactly end: out
            point(WATER, at(8, 15), {"total": 2.0, "rate": 7.0}),
            point(WATER, at(8, 20), {"rate": 8.0}),  # no total at 08:20: no sample for it
            point(NEIGHBOUR, at(8, 10), {"total": 55.0}),
        ]
    )

    assert samples(store.history(WATER, "total", at(8, 0), at(9, 0))) == [
        (at(8, 0), "float", 1.0),
        (at(8, 15), "float", 2.0),
        (at(8, 30), "float", 3.0),
    ]


def test_integer_boolean_and_string_fields_round_trip(store: Store) -> None:
    fields: dict[str, FieldValue] = {
        "floor": -1,
        "fault_code": 2**53 + 1,  # beyond a double's exact integers
        "alarm": True,
        "state": "idle",
        "door": "",
        "load": 0.0,
        "noise_db": 55.5,
    }
    store.write([point(LIFT, at(10, 0), fields)])

    latest = store.latest(LIFT)

    assert latest is not None
    assert typed(latest.fields) == {
        "floor": ("int", -1),
        "fault_code": ("int", 9_007_199_254_740_993),
        "alarm": ("bool", True),
        "state": ("str", "idle"),
        "door": ("str", ""),
        "load": ("float", 0.0),
        "noise_db": ("float", 55.5),
    }
    assert samples(store.history(LIFT, "alarm", at(10, 0), at(11, 0))) == [(at(10, 0), "bool", True)]
    assert samples(store.history(LIFT, "fault_code", at(10, 0), at(11, 0))) == [
        (at(10, 0), "int", 9_007_199_254_740_993)
    ]
    assert samples(store.history(LIFT, "load", at(10, 0), at(11, 0))) == [(at(10, 0), "float", 0.0)]


def test_a_field_type_change_is_refused(store: Store) -> None:
    store.write([point(WATER, at(8, 0), {"total": 1.0})])

    with pytest.raises(StoreRejected):
        store.write([point(WATER, at(8, 15), {"total": 2})])

    assert samples(store.history(WATER, "total", at(8, 0), at(9, 0))) == [(at(8, 0), "float", 1.0)]


def test_timestamps_with_microseconds_round_trip_exactly(store: Store) -> None:
    when = datetime(2026, 11, 26, 16, 0, 0, 123_457, tzinfo=CST)  # 08:00:00.123457 UTC
    store.write([point(WATER, when, {"total": 5.0})])

    latest = store.latest(WATER)
    assert latest is not None
    assert latest.ts == at(8, 0, 0, 123_457)
    assert samples(store.history(WATER, "total", when, when + US)) == [(at(8, 0, 0, 123_457), "float", 5.0)]
    assert store.history(WATER, "total", when + US, at(9, 0)) == []
    assert store.last_before(WATER, "total", when) is None
    found = store.last_before(WATER, "total", when + US)
    assert found is not None
    assert found.ts == at(8, 0, 0, 123_457)
    found = store.first_at_or_after(WATER, "total", when)
    assert found is not None
    assert found.ts == at(8, 0, 0, 123_457)
    assert store.first_at_or_after(WATER, "total", when + US) is None


def test_times_far_outside_the_data_are_clamped_not_refused(store: Store) -> None:
    store.write([point(WATER, at(8, 0), {"total": 1.0})])
    earliest = datetime(1, 1, 1, tzinfo=UTC)
    latest = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)

    assert samples(store.history(WATER, "total", earliest, latest)) == [(at(8, 0), "float", 1.0)]
    assert samples(store.history(WATER, "total", earliest, latest, every=timedelta(days=1))) == [
        (datetime(2026, 11, 26, tzinfo=UTC), "float", 1.0)
    ]
    assert store.last_before(WATER, "total", earliest) is None
    assert store.first_at_or_after(WATER, "total", latest) is None
    found = store.last_before(WATER, "total", latest)
    assert found is not None
    assert found.ts == at(8, 0)


def test_two_sites_with_a_meter_of_the_same_id_keep_their_readings_apart(influxd: Influxd) -> None:
    """A company's sites share one InfluxDB database; each read asks for the asset's own site (its tag). InfluxDB
    only: the embedded store is one file in each site's own data folder (core.portfolio.settings_for), so it never
    holds two sites."""
    store = InfluxV1Store(influxd.url, "contract_sites")
    store.ensure_database()
    try:
        _two_sites_apart(store)
    finally:
        store.close()


def _two_sites_apart(store: InfluxV1Store) -> None:
    other_site = replace(WATER, tags={**WATER.tags, "site": "harbour"})
    store.write([point(WATER, at(8, 0), {"total": 10.5}), point(other_site, at(9, 0), {"total": 700.0})])

    ours, theirs = store.latest(WATER), store.latest(other_site)

    assert ours is not None and theirs is not None
    assert (ours.ts, typed(ours.fields)) == (at(8, 0), {"total": ("float", 10.5)})
    assert (theirs.ts, typed(theirs.fields)) == (at(9, 0), {"total": ("float", 700.0)})
    assert [s.value for s in store.history(WATER, "total", at(7, 0), at(10, 0))] == [10.5]
