"""The storage schema: measurement names, id tags and the type of every known field.

InfluxDB fixes a field's type on first write, so values are coerced to these types before
they are stored; a value that cannot be coerced is bad input, not a crash.
"""

from __future__ import annotations

import math
from enum import StrEnum

from core.reading import FieldValue


class AssetKind(StrEnum):
    METER = "meter"
    ELEVATOR = "elevator"
    CIRCUIT = "circuit"
    SENSOR = "sensor"  # any device kind of core.device_kinds; its fields come from that kind


class FieldType(StrEnum):
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STRING = "string"


MEASUREMENT: dict[AssetKind, str] = {
    AssetKind.METER: "meter",
    AssetKind.ELEVATOR: "elevator",
    AssetKind.CIRCUIT: "circuit",
    AssetKind.SENSOR: "sensor",  # the prefix: a sensor's measurement is sensor_<device kind>
}

ID_TAG: dict[AssetKind, str] = {
    AssetKind.METER: "meter_id",
    AssetKind.ELEVATOR: "elevator_id",
    AssetKind.CIRCUIT: "circuit_id",
    AssetKind.SENSOR: "sensor_id",
}

FIELD_TYPES: dict[AssetKind, dict[str, FieldType]] = {
    AssetKind.METER: {"total": FieldType.FLOAT, "rate": FieldType.FLOAT},
    AssetKind.ELEVATOR: {
        "state": FieldType.STRING,
        "floor": FieldType.INT,
        "door": FieldType.STRING,
        "vibration": FieldType.FLOAT,
        "noise_db": FieldType.FLOAT,
        "load": FieldType.FLOAT,
        "fault_code": FieldType.INT,
        "alarm": FieldType.BOOL,
        "in_door_zone": FieldType.BOOL,  # car level with a landing, where doors may open
    },
    AssetKind.CIRCUIT: {"on": FieldType.BOOL, "power_w": FieldType.FLOAT},
    AssetKind.SENSOR: {},  # declared by the sensor's device kind (core.device_kinds)
}

_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no"}

# What storage can really hold: InfluxDB and SQLite integers are signed 64-bit.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# A state, door position or fault text is a word or two; anything longer is a broken or hostile device.
MAX_TEXT_CHARS = 256
MAX_FIELDS = 64  # per reading; a meter profile reads a few dozen at most
MAX_FIELD_NAME_CHARS = 64
# Field names are InfluxDB field keys and SQLite values: letters, digits and _ . - only (no escaping games).
_FIELD_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# Fields that can never be negative whatever the device says: a cumulative register counts up from zero.
NON_NEGATIVE: dict[AssetKind, frozenset[str]] = {AssetKind.METER: frozenset({"total"})}


class FieldValueError(ValueError):
    """A field value that does not fit the schema; the message names the field and the value."""


def short_repr(value: object, limit: int = 60) -> str:
    """repr() cut to `limit` characters, so an error message stays readable whatever a device sent."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def check_field_name(name: str) -> None:
    """Raise FieldValueError unless `name` can be a field key in every store."""
    if not name or len(name) > MAX_FIELD_NAME_CHARS or not set(name) <= _FIELD_NAME_CHARS:
        raise FieldValueError(
            f"field name {short_repr(name)} is not allowed: use 1 to {MAX_FIELD_NAME_CHARS} letters, digits, _ . -"
        )


def coerce_field(kind: AssetKind, name: str, value: object) -> FieldValue:
    """Coerce one field to its schema type; unknown fields must be finite numbers (stored as float)."""
    check_field_name(name)
    wanted = FIELD_TYPES[kind].get(name, FieldType.FLOAT)
    try:
        coerced = coerce_value(wanted, value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise FieldValueError(f"field {name!r}: {short_repr(value)} is not a valid {wanted.value} ({exc})") from None
    if name in NON_NEGATIVE.get(kind, ()) and isinstance(coerced, float) and coerced < 0:
        raise FieldValueError(f"field {name!r}: {coerced!r} is negative; a cumulative register cannot be")
    return coerced


def _text(value: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"longer than {MAX_TEXT_CHARS} characters")
    if "\x00" in value:
        raise ValueError("contains NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid UTF-8 (a lone surrogate)") from None
    return value


def coerce_value(wanted: FieldType, value: object) -> FieldValue:
    """`value` as a `wanted`; TypeError/ValueError/OverflowError (the reason) if it cannot be one."""
    if wanted is FieldType.STRING:
        if isinstance(value, str):
            return _text(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("not finite")
            return _text(str(value))
        raise TypeError("expected text")
    if wanted is FieldType.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise TypeError("expected true/false")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("expected a number")
    if isinstance(value, str):
        value = _text(value).strip()
        if wanted is FieldType.INT and value.lstrip("+-").isascii() and value.lstrip("+-").isdigit():
            value = int(value)
    if wanted is FieldType.INT and isinstance(value, int):
        whole = value  # exact: float() would round integers past 2**53
    else:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not finite")
        if wanted is FieldType.FLOAT:
            return number
        if number != int(number):
            raise ValueError("not a whole number")
        if abs(number) >= 2**53:  # a float this large is not an exact integer (JSON parsers make them floats)
            raise ValueError("outside the 64-bit integer range or not exact")
        whole = int(number)
    if not INT64_MIN <= whole <= INT64_MAX:
        raise ValueError("outside the 64-bit integer range")
    return whole
