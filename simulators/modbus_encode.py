"""Engineering values to register words, the way a field device puts them on the wire.

Written with `struct` on purpose, apart from the collectors' pymodbus-based decoder, so a test that
reads back what the simulator set checks one implementation against another.
"""

from __future__ import annotations

import math
import struct

from collectors.modbus.config import ByteOrder, DataType, RegisterField

_STRUCT = {
    DataType.INT16: "h",
    DataType.UINT16: "H",
    DataType.INT32: "i",
    DataType.UINT32: "I",
    DataType.INT64: "q",
    DataType.UINT64: "Q",
    DataType.FLOAT32: "f",
    DataType.FLOAT64: "d",
}
_FLOATS = frozenset({DataType.FLOAT32, DataType.FLOAT64})
_SIGNED = frozenset({DataType.INT16, DataType.INT32, DataType.INT64})
GARBAGE_WORD = 0xFFFF  # what many meters send for "no data"; NaN as a float, the maximum as an unsigned int


class EncodeError(ValueError):
    """A value that the field's data type cannot carry."""


def raw_value(field: RegisterField, value: float, *, wrap: bool) -> float | int:
    """The number on the wire for `value`: `(value - offset) / scale`, rounded for integer types.

    With `wrap`, an unsigned counter past its range rolls over like a real register; otherwise it is an error.
    """
    if isinstance(value, int) and field.scale == 1 and field.offset == 0 and field.data_type not in _FLOATS:
        number = value  # exact: a 64-bit counter does not survive a trip through float
    else:
        raw: float = (value - field.offset) / field.scale
        if field.data_type in _FLOATS:
            return raw
        if not math.isfinite(raw):
            raise EncodeError(f"field {field.name!r}: {value} is not finite")
        number = round(raw)
    bits = 16 * field.count
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if field.data_type in _SIGNED else (0, 2**bits - 1)
    if low <= number <= high:
        return number
    if wrap and field.data_type not in _SIGNED:
        return int(number % 2**bits)
    raise EncodeError(f"field {field.name!r}: {value} is raw {number}, outside {field.data_type} {low}..{high}")


def encode_field(field: RegisterField, value: float, *, wrap: bool = True) -> list[int]:
    """The field's register words for `value`, in the field's byte order."""
    try:
        data = struct.pack(">" + _STRUCT[field.data_type], raw_value(field, value, wrap=wrap))
    except (struct.error, OverflowError) as exc:
        raise EncodeError(f"field {field.name!r}: {value} does not fit a {field.data_type} ({exc})") from None
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if field.byte_order in (ByteOrder.CDAB, ByteOrder.DCBA):
        words.reverse()
    if field.byte_order in (ByteOrder.BADC, ByteOrder.DCBA):
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def garbage(field: RegisterField) -> list[int]:
    """Registers a broken device might send for this field."""
    return [GARBAGE_WORD] * field.count
