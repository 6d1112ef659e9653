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


class FieldType(StrEnum):
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STRING = "string"


MEASUREMENT: dict[AssetKind, str] = {
    AssetKind.METER: "meter",
    AssetKind.ELEVATOR: "elevator",
    AssetKind.CIRCUIT: "circuit",
}

ID_TAG: dict[AssetKind, str] = {
    AssetKind.METER: "meter_id",
    AssetKind.ELEVATOR: "elevator_id",
    AssetKind.CIRCUIT: "circuit_id",
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
}

_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no"}


class FieldValueError(ValueError):
    """A field value that does not fit the schema; the message names the field and the value."""


def coerce_field(kind: AssetKind, name: str, value: object) -> FieldValue:
    """Coerce one field to its schema type; unknown fields must be finite numbers (stored as float)."""
    wanted = FIELD_TYPES[kind].get(name, FieldType.FLOAT)
    try:
        return _coerce(wanted, value)
    except (TypeError, ValueError) as exc:
        raise FieldValueError(f"field {name!r}: {value!r} is not a valid {wanted.value} ({exc})") from None


def _coerce(wanted: FieldType, value: object) -> FieldValue:
    if wanted is FieldType.STRING:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
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
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    if wanted is FieldType.INT:
        if number != int(number):
            raise ValueError("not a whole number")
        return int(number)
    return number
