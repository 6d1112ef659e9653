"""The ReadingStore contract, part two: bucketed history and aggregates, on InfluxDB 1.x and the embedded store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.reading import FieldValue
from storage.store import Aggregate
from tests.integration.storage.store_cases import LIFT, NEIGHBOUR, WATER, Store, at, point, samples

pytestmark = pytest.mark.integration


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
