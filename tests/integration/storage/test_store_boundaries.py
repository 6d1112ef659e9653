"""The ReadingStore contract, part three: billing-period edges (first/last, strictly before, at or after)."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.reading import FieldValue
from storage.store import Sample
from tests.integration.storage.store_cases import CST, NEIGHBOUR, US, WATER, Store, point, samples

pytestmark = pytest.mark.integration


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
