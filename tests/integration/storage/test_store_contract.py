"""One contract for every ReadingStore: InfluxDB 1.x (a real influxd) and the embedded SQLite store.

Every expected value is written out by hand (the arithmetic is in the comments); nothing expected
is computed by the code under test. Values and types are compared together, because 12.0 == 12
in Python and InfluxDB's JSON writes the float 12.0 as 12.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.measurements import AssetKind
from core.reading import FieldValue, Reading
from core.registry import AssetInfo, AssetRegistry
from core.site_loader import parse_site
from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from storage.points import Point, to_point
from storage.store import Aggregate, Sample, StoreRejected

pytestmark = pytest.mark.integration

SITE = """
[site]
id = "demo"
name = "Demo"

[[buildings]]
id = "B1"
floors = 6
unit_layout = { last_floor = 6, units_per_floor = 2 }

[[areas]]
id = "lobby"
building = "B1"

[[meter_groups]]
utilities = ["water"]

[[elevators]]
id = "B1-L1"
building = "B1"
highest_floor = 6
"""

REGISTRY = AssetRegistry.from_site(parse_site(SITE))
WATER = REGISTRY.get("B1-0101-W")
NEIGHBOUR = REGISTRY.get("B1-0102-W")
LIFT = REGISTRY.get("B1-L1")

CST = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST: billing boundaries are at +08:00
US = timedelta(microseconds=1)
Store = InfluxV1Store | EmbeddedStore


def at(hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """A time on 2026-11-26 UTC."""
    return datetime(2026, 11, 26, hour, minute, second, micro, tzinfo=UTC)


def point(asset: AssetInfo, when: datetime, fields: Mapping[str, FieldValue]) -> Point:
    """A point the way the spool writer makes it: the registry's measurement and tags."""
    return to_point(Reading(asset.asset_id, when, fields), asset)


def typed(fields: Mapping[str, FieldValue]) -> dict[str, tuple[str, FieldValue]]:
    return {name: (type(value).__name__, value) for name, value in fields.items()}


def samples(found: Iterable[Sample]) -> list[tuple[datetime, str, FieldValue]]:
    return [(s.ts, type(s.value).__name__, s.value) for s in found]


@pytest.fixture(params=["influxdb", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store
    if request.param == "influxdb":
        # Only this parameter starts influxd, so the embedded half runs without the binary.
        server = request.getfixturevalue("influxd")
        backend = InfluxV1Store(server.url, "contract")
        backend.ensure_database()
    else:
        backend = EmbeddedStore(tmp_path / "readings.db")
    yield backend
    backend.close()


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


# rate of B1-0101-W; the 08:30 bucket is empty, 07:55 and 09:00 are outside [08:00, 09:00).
RATES = [
    (at(7, 55), 50.0),
    (at(8, 0), 1.0),
    (at(8, 5), 2.0),
    (at(8, 10), 4.5),
    (at(8, 15), 0.5),
    (at(8, 20), 0.25),
    (at(8, 25), 2.25),
    (at(8, 45), 8.0),
    (at(8, 50), 6.0),
    (at(9, 0), 100.0),
]
QUARTER_HOURS: dict[Aggregate, list[tuple[datetime, str, FieldValue]]] = {
    # 08:00 holds 1.0, 2.0, 4.5; 08:15 holds 0.5, 0.25, 2.25; 08:45 holds 8.0, 6.0
    Aggregate.MEAN: [(at(8, 0), "float", 2.5), (at(8, 15), "float", 1.0), (at(8, 45), "float", 7.0)],
    Aggregate.MIN: [(at(8, 0), "float", 1.0), (at(8, 15), "float", 0.25), (at(8, 45), "float", 6.0)],
    Aggregate.MAX: [(at(8, 0), "float", 4.5), (at(8, 15), "float", 2.25), (at(8, 45), "float", 8.0)],
    Aggregate.FIRST: [(at(8, 0), "float", 1.0), (at(8, 15), "float", 0.5), (at(8, 45), "float", 8.0)],
    Aggregate.LAST: [(at(8, 0), "float", 4.5), (at(8, 15), "float", 2.25), (at(8, 45), "float", 6.0)],
    Aggregate.SUM: [(at(8, 0), "float", 7.5), (at(8, 15), "float", 3.0), (at(8, 45), "float", 14.0)],
    Aggregate.COUNT: [(at(8, 0), "int", 3), (at(8, 15), "int", 3), (at(8, 45), "int", 2)],
}


def test_history_in_quarter_hour_buckets_skips_empty_ones(store: Store) -> None:
    store.write([point(WATER, when, {"rate": value}) for when, value in RATES])

    for aggregate, expected in QUARTER_HOURS.items():
        found = store.history(WATER, "rate", at(8, 0), at(9, 0), every=timedelta(minutes=15), aggregate=aggregate)
        assert samples(found) == expected, aggregate


def test_buckets_are_aligned_to_the_epoch_not_to_start(store: Store) -> None:
    store.write([point(WATER, when, {"rate": value}) for when, value in RATES])
    india = timezone(timedelta(hours=5, minutes=30))

    # From 08:10: the 08:00 bucket keeps only 4.5, and is still stamped 08:00, before start.
    quarter = store.history(WATER, "rate", at(8, 10), at(9, 0), every=timedelta(minutes=15))
    assert samples(quarter) == [(at(8, 0), "float", 4.5), (at(8, 15), "float", 1.0), (at(8, 45), "float", 7.0)]
    # 13:40 at +05:30 is 08:10 UTC; hourly buckets start on the UTC hour (13:30 there), not at 13:40 or 13:00.
    hourly = store.history(
        WATER,
        "rate",
        datetime(2026, 11, 26, 13, 40, tzinfo=india),
        at(9, 0),
        every=timedelta(hours=1),
        aggregate=Aggregate.SUM,
    )
    assert samples(hourly) == [(at(8, 0), "float", 21.5)]  # 4.5 + 0.5 + 0.25 + 2.25 + 8.0 + 6.0


def test_sub_second_buckets(store: Store) -> None:
    # 2026-11-26T08:00Z is a whole number of 1.5 s steps from the epoch (86 400 and 28 800 divide by 3).
    store.write(
        [
            point(NEIGHBOUR, at(8, 0, 0, 200_000), {"rate": 1.0}),
            point(NEIGHBOUR, at(8, 0, 1, 400_000), {"rate": 2.0}),
            point(NEIGHBOUR, at(8, 0, 1, 500_000), {"rate": 4.0}),
            point(NEIGHBOUR, at(8, 0, 2, 900_000), {"rate": 8.0}),
        ]
    )

    found = store.history(
        NEIGHBOUR, "rate", at(8, 0), at(8, 1), every=timedelta(seconds=1, microseconds=500_000), aggregate=Aggregate.SUM
    )

    assert samples(found) == [(at(8, 0), "float", 3.0), (at(8, 0, 1, 500_000), "float", 12.0)]


def test_buckets_before_1970_floor_to_the_earlier_boundary(store: Store) -> None:
    # Negative epoch times: -600 s and -300 s both lie in the bucket [-900 s, 0), stamped 23:45.
    store.write(
        [
            point(NEIGHBOUR, datetime(1969, 12, 31, 23, 50, tzinfo=UTC), {"rate": 1.0}),
            point(NEIGHBOUR, datetime(1969, 12, 31, 23, 55, tzinfo=UTC), {"rate": 2.0}),
            point(NEIGHBOUR, datetime(1970, 1, 1, 0, 5, tzinfo=UTC), {"rate": 4.0}),
        ]
    )

    found = store.history(
        NEIGHBOUR,
        "rate",
        datetime(1969, 12, 31, 23, 0, tzinfo=UTC),
        datetime(1970, 1, 1, 1, 0, tzinfo=UTC),
        every=timedelta(minutes=15),
        aggregate=Aggregate.SUM,
    )

    assert samples(found) == [
        (datetime(1969, 12, 31, 23, 45, tzinfo=UTC), "float", 3.0),
        (datetime(1970, 1, 1, 0, 0, tzinfo=UTC), "float", 4.0),
    ]


def test_aggregates_keep_integer_and_boolean_types(store: Store) -> None:
    store.write(
        [
            point(LIFT, at(10, 0, 0), {"floor": 1, "alarm": False, "state": "moving"}),
            point(LIFT, at(10, 0, 10), {"floor": 2, "alarm": True, "state": "moving"}),
            point(LIFT, at(10, 0, 20), {"floor": 3, "alarm": True, "state": "idle"}),
            point(LIFT, at(10, 1, 0), {"floor": 5, "alarm": False, "state": "idle"}),
        ]
    )
    minute = timedelta(minutes=1)

    def bucketed(field: str, aggregate: Aggregate) -> list[tuple[datetime, str, FieldValue]]:
        return samples(store.history(LIFT, field, at(10, 0), at(11, 0), every=minute, aggregate=aggregate))

    assert bucketed("floor", Aggregate.SUM) == [(at(10, 0), "int", 6), (at(10, 1), "int", 5)]
    assert bucketed("floor", Aggregate.MEAN) == [(at(10, 0), "float", 2.0), (at(10, 1), "float", 5.0)]
    assert bucketed("floor", Aggregate.MAX) == [(at(10, 0), "int", 3), (at(10, 1), "int", 5)]
    assert bucketed("alarm", Aggregate.MAX) == [(at(10, 0), "bool", True), (at(10, 1), "bool", False)]
    assert bucketed("alarm", Aggregate.MIN) == [(at(10, 0), "bool", False), (at(10, 1), "bool", False)]
    assert bucketed("alarm", Aggregate.LAST) == [(at(10, 0), "bool", True), (at(10, 1), "bool", False)]
    assert bucketed("state", Aggregate.FIRST) == [(at(10, 0), "str", "moving"), (at(10, 1), "str", "idle")]
    assert bucketed("state", Aggregate.COUNT) == [(at(10, 0), "int", 3), (at(10, 1), "int", 1)]


@pytest.mark.parametrize(
    ("field", "aggregate"),
    [("alarm", Aggregate.MEAN), ("alarm", Aggregate.SUM), ("state", Aggregate.MEAN), ("state", Aggregate.MIN)],
)
def test_numeric_aggregate_of_text_or_boolean_is_refused(store: Store, field: str, aggregate: Aggregate) -> None:
    store.write([point(LIFT, at(10, 0), {"alarm": True, "state": "idle"})])

    with pytest.raises(ValueError, match=f"{aggregate.value} is not defined"):
        store.history(LIFT, field, at(10, 0), at(11, 0), every=timedelta(minutes=1), aggregate=aggregate)


def test_bad_history_arguments_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="every must be positive"):
        store.history(WATER, "total", at(8, 0), at(9, 0), every=timedelta(0))
    with pytest.raises(ValueError, match="every must be positive"):
        store.history(WATER, "total", at(8, 0), at(9, 0), every=timedelta(seconds=-900))
    with pytest.raises(ValueError, match="Aggregate member"):
        store.history(WATER, "total", at(8, 0), at(9, 0), every=timedelta(minutes=15), aggregate="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no time zone"):
        store.history(WATER, "total", datetime(2026, 11, 26, 8, 0), at(9, 0))


# total of B1-0101-W around the December 2026 billing period, boundaries at midnight +08:00.
DEC_1 = datetime(2026, 12, 1, tzinfo=CST)
JAN_1 = datetime(2027, 1, 1, tzinfo=CST)
REGISTER = [
    (datetime(2026, 11, 30, 23, 45, tzinfo=CST), 100.0),
    (DEC_1, 101.5),
    (datetime(2026, 12, 15, 12, 0, tzinfo=CST), 150.0),
    (JAN_1 - US, 180.25),
    (JAN_1, 181.0),
]


def test_first_last_of_a_billing_period(store: Store) -> None:
    store.write([point(WATER, when, {"total": value}) for when, value in REGISTER])

    found = store.first_last(WATER, "total", DEC_1, JAN_1)

    assert found is not None
    assert samples(found) == [(DEC_1, "float", 101.5), (JAN_1 - US, "float", 180.25)]
    only = store.first_last(WATER, "total", datetime(2026, 12, 10, tzinfo=CST), datetime(2026, 12, 20, tzinfo=CST))
    assert only is not None
    assert samples(only) == [(datetime(2026, 12, 15, 12, tzinfo=CST), "float", 150.0)] * 2
    assert (
        store.first_last(WATER, "total", datetime(2026, 12, 2, tzinfo=CST), datetime(2026, 12, 3, tzinfo=CST)) is None
    )
    assert store.first_last(WATER, "rate", DEC_1, JAN_1) is None


def test_boundary_lookups_are_strictly_before_and_at_or_after(store: Store) -> None:
    store.write([point(WATER, when, {"total": value}) for when, value in REGISTER])

    def one(found: Sample | None) -> tuple[datetime, str, FieldValue] | None:
        return None if found is None else samples([found])[0]

    # A sample exactly at the boundary belongs to the new period: not before it, but at it.
    assert one(store.last_before(WATER, "total", DEC_1)) == (datetime(2026, 11, 30, 23, 45, tzinfo=CST), "float", 100.0)
    assert one(store.first_at_or_after(WATER, "total", DEC_1)) == (DEC_1, "float", 101.5)
    assert one(store.last_before(WATER, "total", DEC_1 + US)) == (DEC_1, "float", 101.5)
    assert one(store.first_at_or_after(WATER, "total", DEC_1 + US)) == (
        datetime(2026, 12, 15, 12, tzinfo=CST),
        "float",
        150.0,
    )
    assert one(store.last_before(WATER, "total", JAN_1)) == (JAN_1 - US, "float", 180.25)
    assert store.last_before(WATER, "total", datetime(2026, 11, 30, 23, 45, tzinfo=CST)) is None
    assert store.first_at_or_after(WATER, "total", JAN_1 + US) is None
    assert store.last_before(NEIGHBOUR, "total", JAN_1) is None


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


INJECTIONS = [
    "x' OR 1=1 --",
    "B1-0101-W' OR '1'='1",
    'x\' OR "meter_id" =~ /.*/ --',
    "x\\' OR 1=1 --",
    'x\'; DROP MEASUREMENT "meter"; --',
    "x' OR time > 0 GROUP BY time(1s) --",
]


@pytest.mark.parametrize("evil_id", INJECTIONS)
def test_an_asset_id_that_tries_injection_finds_nothing(store: Store, evil_id: str) -> None:
    store.write([point(WATER, at(8, 0), {"total": 1.0, "rate": 0.5})])
    # Site ids cannot hold quotes, so this AssetInfo is made by hand, as a bad API caller could.
    evil = AssetInfo(evil_id, AssetKind.METER, {"site": "demo", "meter_id": evil_id})

    assert store.latest(evil) is None
    assert store.history(evil, "total", at(0, 0), at(23, 0)) == []
    assert store.history(evil, "total", at(0, 0), at(23, 0), every=timedelta(hours=1), aggregate=Aggregate.COUNT) == []
    assert store.first_last(evil, "total", at(0, 0), at(23, 0)) is None
    assert store.last_before(evil, "total", at(23, 0)) is None
    assert store.first_at_or_after(evil, "total", at(0, 0)) is None
    # The real meter is still there (no statement smuggled in dropped it).
    latest = store.latest(WATER)
    assert latest is not None
    assert typed(latest.fields) == {"total": ("float", 1.0), "rate": ("float", 0.5)}


def test_an_odd_asset_id_reads_back_its_own_data_only(store: Store) -> None:
    odd = AssetInfo("x' OR 1=1 --", AssetKind.METER, {"site": "demo", "meter_id": "x' OR 1=1 --"})
    store.write(
        [
            point(odd, at(8, 0), {"total": 7.25}),
            point(WATER, at(9, 0), {"total": 1.0}),  # newer and unrelated
        ]
    )

    latest = store.latest(odd)

    assert latest is not None
    assert (latest.ts, typed(latest.fields)) == (at(8, 0), {"total": ("float", 7.25)})
    assert samples(store.history(odd, "total", at(0, 0), at(23, 0))) == [(at(8, 0), "float", 7.25)]
    assert samples(store.history(WATER, "total", at(0, 0), at(23, 0))) == [(at(9, 0), "float", 1.0)]


def test_field_names_with_quotes(store: Store) -> None:
    store.write([point(WATER, at(8, 0), {'temp "C"': 21.5, "it's": 3, "total": 1.0})])

    assert samples(store.history(WATER, 'temp "C"', at(8, 0), at(9, 0))) == [(at(8, 0), "float", 21.5)]
    assert samples(store.history(WATER, "it's", at(8, 0), at(9, 0))) == [(at(8, 0), "int", 3)]
    mean = store.history(WATER, 'temp "C"', at(8, 0), at(9, 0), every=timedelta(hours=1))
    assert samples(mean) == [(at(8, 0), "float", 21.5)]
    first = store.first_at_or_after(WATER, 'temp "C"', at(8, 0))
    assert first is not None
    assert (first.ts, first.value) == (at(8, 0), 21.5)
    latest = store.latest(WATER)
    assert latest is not None
    assert typed(latest.fields) == {'temp "C"': ("float", 21.5), "it's": ("int", 3), "total": ("float", 1.0)}
    assert store.history(WATER, 'temp "C', at(8, 0), at(9, 0)) == []  # a near miss is another field


def test_backslashes_in_names_round_trip(store: Store, request: pytest.FixtureRequest) -> None:
    odd = AssetInfo("back\\slash", AssetKind.METER, {"site": "demo", "meter_id": "back\\slash"})
    store.write([point(odd, at(8, 0), {"c:\\path": 1.5})])

    assert samples(store.history(odd, "c:\\path", at(8, 0), at(9, 0))) == [(at(8, 0), "float", 1.5)]


def test_an_empty_store_answers_none_and_empty_lists(store: Store) -> None:
    assert store.latest(WATER) is None
    assert store.history(WATER, "total", at(0, 0), at(23, 0)) == []
    assert store.history(WATER, "total", at(0, 0), at(23, 0), every=timedelta(minutes=15)) == []
    assert store.first_last(WATER, "total", at(0, 0), at(23, 0)) is None
    assert store.last_before(WATER, "total", at(23, 0)) is None
    assert store.first_at_or_after(WATER, "total", at(0, 0)) is None


def test_missing_fields_and_empty_windows_answer_empty(store: Store) -> None:
    store.write([point(WATER, at(8, 0), {"total": 1.0})])

    assert store.history(WATER, "nonexistent", at(0, 0), at(23, 0)) == []
    assert store.history(WATER, "nonexistent", at(0, 0), at(23, 0), every=timedelta(hours=1)) == []
    assert store.history(WATER, "total", at(8, 0), at(8, 0)) == []  # [t, t) is empty
    assert store.history(WATER, "total", at(9, 0), at(8, 0)) == []  # end before start
    assert store.first_last(WATER, "total", at(9, 0), at(8, 0)) is None
    assert store.last_before(WATER, "nonexistent", at(23, 0)) is None
    assert store.latest(NEIGHBOUR) is None


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
