"""Modbus register maps: what a field is, how its registers decode, and how to read them in few requests.

Byte orders name the wire order of a value's bytes, A being the most significant byte of a
32-bit value. For 64-bit values the same four names are generalised to four registers:

* ABCD: big-endian words and bytes (the Modbus default), registers most significant first.
* CDAB: word order reversed (the words come least significant first), bytes big-endian in each word.
* BADC: words most significant first, but the two bytes within each word swapped.
* DCBA: fully reversed, i.e. little-endian bytes and words.

A 16-bit value has a single word, so ABCD and CDAB read it as is and BADC and DCBA swap its bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pymodbus.client.mixin import ModbusClientMixin

# The register-map models are site-file data, so they live in config.py; re-exported here for the poller.
from collectors.modbus.config import (
    DEFAULT_MAX_GAP,
    MAX_READ_REGISTERS,
    ByteOrder,
    DataType,
    RegisterField,
    RegisterMap,
    RegisterTable,
    register_count,
)

__all__ = [
    "DEFAULT_MAX_GAP",
    "MAX_READ_REGISTERS",
    "ByteOrder",
    "DataType",
    "ReadSpan",
    "RegisterDecodeError",
    "RegisterField",
    "RegisterMap",
    "RegisterTable",
    "SpanResult",
    "Value",
    "decode_field",
    "decode_span",
    "plan_reads",
    "register_count",
]

Value = float | int

_DATATYPE = ModbusClientMixin.DATATYPE
_PYMODBUS_TYPE: dict[DataType, ModbusClientMixin.DATATYPE] = {
    DataType.INT16: _DATATYPE.INT16,
    DataType.UINT16: _DATATYPE.UINT16,
    DataType.INT32: _DATATYPE.INT32,
    DataType.UINT32: _DATATYPE.UINT32,
    DataType.INT64: _DATATYPE.INT64,
    DataType.UINT64: _DATATYPE.UINT64,
    DataType.FLOAT32: _DATATYPE.FLOAT32,
    DataType.FLOAT64: _DATATYPE.FLOAT64,
}
_FLOAT_TYPES = frozenset({DataType.FLOAT32, DataType.FLOAT64})
# pymodbus only knows word order; byte-swapped orders are undone here before it sees the words.
_SWAP_BYTES: dict[ByteOrder, bool] = {
    ByteOrder.ABCD: False,
    ByteOrder.CDAB: False,
    ByteOrder.BADC: True,
    ByteOrder.DCBA: True,
}
_WORD_ORDER: dict[ByteOrder, Literal["big", "little"]] = {
    ByteOrder.ABCD: "big",
    ByteOrder.BADC: "big",
    ByteOrder.CDAB: "little",
    ByteOrder.DCBA: "little",
}


class RegisterDecodeError(ValueError):
    """Registers that do not decode to a usable value; the message names field, address and raw words."""

    def __init__(self, field: RegisterField, registers: Sequence[int], problem: str) -> None:
        self.field = field
        self.registers = tuple(registers)
        self.problem = problem
        super().__init__(
            f"field {field.name!r} ({field.table} register {field.address}, {field.data_type} "
            f"{field.byte_order}): {problem}; raw registers {_format_raw(registers)}"
        )


def _format_raw(registers: Sequence[int]) -> str:
    # Hex shows the byte pattern; anything that is not a 16-bit word is shown as it came.
    parts = [f"0x{r:04X}" if _is_word(r) else repr(r) for r in registers]
    return "[" + ", ".join(parts) + "]"


def _is_word(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF


def _swap_bytes(word: int) -> int:
    return ((word & 0xFF) << 8) | (word >> 8)


def decode_field(field: RegisterField, registers: Sequence[int]) -> Value:
    """Decode one field's registers (exactly `field.count` of them) and apply scale and offset.

    Returns an int only for an integer type with scale 1 and offset 0, so counters stay exact.
    """
    if len(registers) != field.count:
        raise RegisterDecodeError(field, registers, f"expected {field.count} register(s), got {len(registers)}")
    if not all(_is_word(r) for r in registers):
        raise RegisterDecodeError(field, registers, "register value outside 0..65535")
    words = [_swap_bytes(r) for r in registers] if _SWAP_BYTES[field.byte_order] else list(registers)
    raw = ModbusClientMixin.convert_from_registers(
        words, _PYMODBUS_TYPE[field.data_type], word_order=_WORD_ORDER[field.byte_order]
    )
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TypeError(f"pymodbus returned {type(raw).__name__} for a single {field.data_type}")
    if field.data_type in _FLOAT_TYPES and not math.isfinite(raw):
        raise RegisterDecodeError(field, registers, f"decodes to {raw}")
    if isinstance(raw, int) and field.scale == 1 and field.offset == 0:
        return raw
    value = raw * field.scale + field.offset
    if not math.isfinite(value):
        raise RegisterDecodeError(field, registers, f"{raw} * {field.scale} + {field.offset} is not finite")
    return value


@dataclass(frozen=True)
class ReadSpan:
    """One read request: `count` registers from `address` in `table`, covering `fields`."""

    table: RegisterTable
    address: int
    count: int
    fields: tuple[RegisterField, ...]

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass
class SpanResult:
    """What one span read decoded to: the good values, and one error per field that failed."""

    values: dict[str, Value]
    errors: list[RegisterDecodeError]


def plan_reads(
    fields: RegisterMap | Iterable[RegisterField],
    max_span: int = MAX_READ_REGISTERS,
    max_gap: int = DEFAULT_MAX_GAP,
) -> list[ReadSpan]:
    """Group fields into the fewest contiguous reads per table, ordered by table then address.

    A span is at most `max_span` registers; unused gaps of up to `max_gap` registers between
    fields are read through (cheaper than another round trip), larger gaps start a new read.
    """
    items = list(fields.fields if isinstance(fields, RegisterMap) else fields)
    if not 1 <= max_span <= MAX_READ_REGISTERS:
        raise ValueError(f"max_span must be 1..{MAX_READ_REGISTERS}, got {max_span}")
    if max_gap < 0:
        raise ValueError(f"max_gap must be >= 0, got {max_gap}")
    for f in items:
        if f.count > max_span:
            raise ValueError(f"field {f.name!r} needs {f.count} registers, more than max_span={max_span}")
    spans: list[ReadSpan] = []
    for table in RegisterTable:
        group: list[RegisterField] = []
        start = end = 0
        # Greedy extension over address order is optimal: every span is a run of consecutive fields.
        for f in sorted((f for f in items if f.table == table), key=lambda f: (f.address, f.end)):
            new_end = max(end, f.end)
            if group and f.address - end <= max_gap and new_end - start <= max_span:
                group.append(f)
                end = new_end
                continue
            if group:
                spans.append(ReadSpan(table, start, end - start, tuple(group)))
            group, start, end = [f], f.address, f.end
        if group:
            spans.append(ReadSpan(table, start, end - start, tuple(group)))
    return spans


def decode_span(span: ReadSpan, registers: Sequence[int]) -> SpanResult:
    """Decode every field of a span read; a field that fails is reported without losing the others."""
    if len(registers) != span.count:
        raise ValueError(
            f"{span.table} read at {span.address} returned {len(registers)} register(s), expected {span.count}"
        )
    result = SpanResult(values={}, errors=[])
    for f in span.fields:
        lo = f.address - span.address
        try:
            result.values[f.name] = decode_field(f, registers[lo : lo + f.count])
        except RegisterDecodeError as exc:
            result.errors.append(exc)
    return result
