"""Device kinds: what a sensor reports (fields and their types), what a fault looks like, which trade fixes it.

The built-in catalogue is `device_kinds.toml` (read with the same model as a site file's `[[device_kinds]]`).
Readings of a sensor are stored in one measurement per kind, `sensor_<kind>`, so a field's type is fixed per
kind exactly as InfluxDB fixes it per measurement; see docs/sensors.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Literal, Self

from pydantic import Field, StrictBool, StrictStr, model_validator

from core.config_files import Strict
from core.ids import AssetId
from core.measurements import (
    FieldType,
    FieldValueError,
    check_field_name,
    coerce_value,
    short_repr,
)
from core.reading import FieldValue

# The work-order categories (workorders.values.Category; tests/unit/core/test_device_kinds.py keeps them equal).
Trade = Literal["elevator", "plumbing", "electrical", "lighting", "metering", "security", "other"]
TRADES: tuple[str, ...] = Trade.__args__  # type: ignore[attr-defined]

MEASUREMENT_PREFIX = "sensor_"
ID_TAG = "sensor_id"
KIND_TAG = "kind"
MAX_WORDS = 16


class FieldKind(StrEnum):
    NUMBER = "number"
    BOOLEAN = "boolean"
    STATE = "state"
    TEXT = "text"


STORED_AS: dict[FieldKind, FieldType] = {
    FieldKind.NUMBER: FieldType.FLOAT,
    FieldKind.BOOLEAN: FieldType.BOOL,
    FieldKind.STATE: FieldType.STRING,
    FieldKind.TEXT: FieldType.STRING,
}

_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no"})

Word = StrictStr


class FieldSpec(Strict):
    """One declared field: `{ type = "boolean", true = ["open"], false = ["closed"] }`."""

    type: FieldKind
    unit: str = Field(default="", max_length=16)
    # boolean: extra words (case-insensitive) meaning true / false, besides true/false, on/off, 1/0, yes/no
    true: tuple[Word, ...] = Field(default=(), max_length=MAX_WORDS)
    false: tuple[Word, ...] = Field(default=(), max_length=MAX_WORDS)
    # state: the states a device may report (anything else is bad input)
    states: tuple[Word, ...] = Field(default=(), max_length=64)

    @model_validator(mode="after")
    def _keys_fit_type(self) -> Self:
        if (self.true or self.false) and self.type is not FieldKind.BOOLEAN:
            raise ValueError("true/false words are for boolean fields only")
        if self.states and self.type is not FieldKind.STATE:
            raise ValueError("states are for state fields only")
        if self.type is FieldKind.STATE and not self.states:
            raise ValueError("a state field lists its states, e.g. states = ['stopped', 'running', 'fault']")
        if self.unit and self.type is not FieldKind.NUMBER:
            raise ValueError("a unit is for number fields only")
        trues = {w.strip().lower() for w in self.true} | _TRUE
        falses = {w.strip().lower() for w in self.false} | _FALSE
        if both := sorted(trues & falses):
            raise ValueError(f"{', '.join(map(repr, both))} cannot mean both true and false")
        return self

    @property
    def stored_as(self) -> FieldType:
        return STORED_AS[self.type]

    def coerce(self, name: str, value: object) -> FieldValue:
        """The value as stored, or FieldValueError naming the field, the value and what would fit."""
        if self.type is FieldKind.BOOLEAN and isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE or word in (w.lower() for w in self.true):
                return True
            if word in _FALSE or word in (w.lower() for w in self.false):
                return False
            words = sorted(_TRUE | _FALSE | {w.lower() for w in self.true + self.false})
            raise FieldValueError(f"field {name!r}: {short_repr(value)} is not a boolean; use one of {words}")
        try:
            coerced = coerce_value(self.stored_as, value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise FieldValueError(
                f"field {name!r}: {short_repr(value)} is not a valid {self.type.value} ({exc})"
            ) from None
        if self.type is FieldKind.STATE and coerced not in self.states:
            raise FieldValueError(f"field {name!r}: {short_repr(value)} is not one of {list(self.states)}")
        return coerced


class FaultSpec(Strict):
    """When a reading is a fault: `{ field = "leak", equals = true }`."""

    field: str = Field(min_length=1, max_length=64)
    equals: StrictBool | StrictStr


class DeviceKind(Strict):
    """A kind of device: a built-in catalogue entry or a site's `[[device_kinds]]` table."""

    id: AssetId
    name: str = ""
    trade: Trade = "other"
    fields: dict[str, FieldSpec] = Field(min_length=1, max_length=48)
    fault: FaultSpec | None = None

    @model_validator(mode="after")
    def _fields_fit(self) -> Self:
        for name in self.fields:
            try:
                check_field_name(name)
            except FieldValueError as exc:
                raise ValueError(f"fields.{name}: {exc}") from None
            if name in COMMON_FIELDS:
                raise ValueError(f"fields.{name}: every sensor kind has {name!r} already; leave it out")
        if self.fault is not None:
            spec = self.fields.get(self.fault.field)
            if spec is None:
                raise ValueError(f"fault.field: {self.fault.field!r} is not one of this kind's fields")
            fits = (
                isinstance(self.fault.equals, bool)
                if spec.type is FieldKind.BOOLEAN
                else spec.type is FieldKind.STATE and self.fault.equals in spec.states
            )
            if not fits:
                raise ValueError(f"fault.equals: {self.fault.equals!r} is not a value of field {self.fault.field!r}")
        return self

    @property
    def measurement(self) -> str:
        return MEASUREMENT_PREFIX + self.id

    def spec(self, name: str) -> FieldSpec | None:
        """The declared field `name` (the common radio fields included), or None."""
        return self.fields.get(name) or COMMON_FIELDS.get(name)

    def field_types(self) -> dict[str, FieldType]:
        return {name: spec.stored_as for name, spec in {**self.fields, **COMMON_FIELDS}.items()}

    def coerce_field(self, name: str, value: object) -> FieldValue:
        """A declared field coerced to its type; an undeclared one must be a finite number (stored as float)."""
        check_field_name(name)
        spec = self.spec(name)
        return (spec or _UNDECLARED).coerce(name, value)


COMMON_FIELDS: dict[str, FieldSpec] = {
    "battery": FieldSpec(type=FieldKind.NUMBER, unit="%"),
    "linkquality": FieldSpec(type=FieldKind.NUMBER),
    "rssi": FieldSpec(type=FieldKind.NUMBER, unit="dBm"),
}
_UNDECLARED = FieldSpec(type=FieldKind.NUMBER)


@cache
def builtin_kinds() -> Mapping[str, DeviceKind]:
    """The built-in catalogue by id, in file order."""
    text = files("core").joinpath("device_kinds.toml").read_text(encoding="utf-8")
    return {entry["id"]: DeviceKind.model_validate(entry) for entry in tomllib.loads(text)["device_kinds"]}
