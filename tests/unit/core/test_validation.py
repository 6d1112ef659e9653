from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FakeClock
from core.reading import Reading, from_ns
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import InvalidReading, ReadingValidator
from tests.unit.core.test_config import MINIMAL

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def validator() -> ReadingValidator:
    site = parse_site(MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n')
    return ReadingValidator(AssetRegistry.from_site(site), FakeClock(NOW))


def test_fields_are_coerced_to_schema_types(validator: ReadingValidator) -> None:
    reading = validator.validate(Reading("L1", NOW, {"floor": 3.0, "alarm": "on", "vibration": 1, "state": "moving"}))
    assert reading.fields == {"floor": 3, "alarm": True, "vibration": 1.0, "state": "moving"}
    assert isinstance(reading.fields["floor"], int)
    assert isinstance(reading.fields["vibration"], float)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"total": "lots"}, "field 'total': 'lots' is not a valid float"),
        ({"total": float("nan")}, "not finite"),
        ({"total": True}, "expected a number"),
    ],
)
def test_bad_values_are_named(validator: ReadingValidator, fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidReading, match=message):
        validator.validate(Reading("B1-0101-W", NOW, fields))  # type: ignore[arg-type]


def test_unknown_asset(validator: ReadingValidator) -> None:
    with pytest.raises(InvalidReading, match="unknown asset id 'B9-W'"):
        validator.validate(Reading("B9-W", NOW, {"total": 1.0}))


def test_future_and_ancient_timestamps(validator: ReadingValidator) -> None:
    with pytest.raises(InvalidReading, match="in the future"):
        validator.validate(Reading("B1-0101-W", NOW + timedelta(hours=1), {"total": 1.0}))
    with pytest.raises(InvalidReading, match="days old"):
        validator.validate(Reading("B1-0101-W", NOW - timedelta(days=500), {"total": 1.0}))
    assert validator.validate(Reading("B1-0101-W", NOW + timedelta(minutes=5), {"total": 1.0}))


def test_nanosecond_round_trip_is_exact() -> None:
    ts = datetime(2026, 11, 26, 3, 4, 5, 678901, tzinfo=UTC)
    reading = Reading("x", ts, {"total": 1.0})
    assert reading.ts_ns == 1_795_662_245_678_901_000
    assert from_ns(reading.ts_ns) == ts
