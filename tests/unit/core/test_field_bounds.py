"""Field values are checked against what storage can really hold before anything commits them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import FakeClock
from core.measurements import INT64_MAX, INT64_MIN, MAX_FIELDS, MAX_TEXT_CHARS, AssetKind, FieldValueError, coerce_field
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import InvalidReading, ReadingValidator
from tests.unit.core.test_config import MINIMAL

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (1e308, "outside the 64-bit integer range"),
        (2**63, "outside the 64-bit integer range"),
        (INT64_MIN - 1, "outside the 64-bit integer range"),
        (-1e19, "outside the 64-bit integer range"),
        ("99999999999999999999", "outside the 64-bit integer range"),
        (float("inf"), "not finite"),
        (float("nan"), "not finite"),
        (2.5, "not a whole number"),
        ("3.5", "not a whole number"),
        (True, "expected a number"),
        ([3], "expected a number"),
    ],
)
def test_integer_fields_refuse_what_int64_cannot_hold(value: object, problem: str) -> None:
    with pytest.raises(FieldValueError, match=problem) as caught:
        coerce_field(AssetKind.ELEVATOR, "floor", value)
    assert "field 'floor'" in str(caught.value)


def test_integer_fields_keep_every_int64_exactly() -> None:
    assert coerce_field(AssetKind.ELEVATOR, "floor", INT64_MAX) == INT64_MAX
    assert coerce_field(AssetKind.ELEVATOR, "floor", INT64_MIN) == INT64_MIN
    assert coerce_field(AssetKind.ELEVATOR, "floor", 2**62 + 1) == 2**62 + 1  # float() would round this
    assert coerce_field(AssetKind.ELEVATOR, "floor", " -3 ") == -3
    assert coerce_field(AssetKind.ELEVATOR, "floor", 7.0) == 7


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("x" * (MAX_TEXT_CHARS + 1), f"longer than {MAX_TEXT_CHARS} characters"),
        ("moving\x00", "contains NUL"),
        ("\ud800", "lone surrogate"),
        (float("inf"), "not finite"),
        (None, "expected text"),
        (False, "expected text"),
    ],
)
def test_text_fields_are_bounded_valid_utf8_without_nul(value: object, problem: str) -> None:
    with pytest.raises(FieldValueError, match=problem) as caught:
        coerce_field(AssetKind.ELEVATOR, "state", value)
    assert len(str(caught.value)) < 200  # a 60 KB value is not copied into the error


def test_text_up_to_the_bound_is_kept() -> None:
    assert coerce_field(AssetKind.ELEVATOR, "state", "停" * MAX_TEXT_CHARS) == "停" * MAX_TEXT_CHARS
    assert coerce_field(AssetKind.ELEVATOR, "door", 3) == "3"


def test_a_meter_total_below_zero_is_refused_and_a_negative_rate_is_not() -> None:
    with pytest.raises(FieldValueError, match="negative; a cumulative register cannot be"):
        coerce_field(AssetKind.METER, "total", -5)
    assert coerce_field(AssetKind.METER, "total", 0) == 0.0
    assert coerce_field(AssetKind.METER, "rate", -1.5) == -1.5  # a bidirectional meter's flow


@pytest.mark.parametrize("name", ["", "a b", "x\n", "pöwer", "k" * 65, "a=b", "\ud800"])
def test_field_names_that_no_store_takes_unescaped_are_refused(name: str) -> None:
    with pytest.raises(FieldValueError, match="field name"):
        coerce_field(AssetKind.METER, name, 1.0)


def test_float_fields_take_big_integers_as_floats() -> None:
    assert coerce_field(AssetKind.METER, "total", 2**70) == float(2**70)
    with pytest.raises(FieldValueError, match="not finite"):
        coerce_field(AssetKind.METER, "total", "1e400")


def test_a_reading_with_too_many_fields_is_invalid() -> None:
    clock = FakeClock(NOW)
    validator = ReadingValidator(AssetRegistry.from_site(parse_site(MINIMAL)), clock)
    fields = {f"f{n}": float(n) for n in range(MAX_FIELDS + 1)}
    with pytest.raises(InvalidReading, match=f"{MAX_FIELDS + 1} fields; at most {MAX_FIELDS}"):
        validator.validate(Reading("B1-0101-W", NOW, fields))
    del fields[f"f{MAX_FIELDS}"]
    assert len(validator.validate(Reading("B1-0101-W", NOW, fields)).fields) == MAX_FIELDS
