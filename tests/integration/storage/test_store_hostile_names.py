"""The ReadingStore contract, part four: hostile asset ids and field names, and empty answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.measurements import AssetKind
from core.registry import AssetInfo
from storage.store import Aggregate
from tests.integration.storage.store_cases import NEIGHBOUR, WATER, Store, at, point, samples, typed

pytestmark = pytest.mark.integration


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
