"""Register decoding and read planning, pinned against hand-written wire patterns."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from collectors.modbus.registers import (
    ByteOrder,
    DataType,
    ReadSpan,
    RegisterDecodeError,
    RegisterField,
    RegisterMap,
    RegisterTable,
    decode_field,
    decode_span,
    plan_reads,
    register_count,
)


def fld(
    name: str = "x",
    address: int = 0,
    data_type: DataType | str = DataType.UINT16,
    byte_order: ByteOrder | str = ByteOrder.ABCD,
    table: RegisterTable | str = RegisterTable.INPUT,
    **extra: object,
) -> RegisterField:
    return RegisterField.model_validate(
        {
            "name": name,
            "table": table,
            "address": address,
            "data_type": data_type,
            "byte_order": byte_order,
            **extra,
        }
    )


# Raw register words as they arrive on the wire, written by hand from each value's big-endian
# bytes: ABCD as is, CDAB words reversed, BADC bytes swapped per word, DCBA everything reversed.
VECTORS: list[tuple[DataType, ByteOrder, list[int], int | float]] = [
    # int16 -12345 = 0xCFC7
    (DataType.INT16, ByteOrder.ABCD, [0xCFC7], -12345),
    (DataType.INT16, ByteOrder.CDAB, [0xCFC7], -12345),
    (DataType.INT16, ByteOrder.BADC, [0xC7CF], -12345),
    (DataType.INT16, ByteOrder.DCBA, [0xC7CF], -12345),
    # uint16 51966 = 0xCAFE
    (DataType.UINT16, ByteOrder.ABCD, [0xCAFE], 51966),
    (DataType.UINT16, ByteOrder.CDAB, [0xCAFE], 51966),
    (DataType.UINT16, ByteOrder.BADC, [0xFECA], 51966),
    (DataType.UINT16, ByteOrder.DCBA, [0xFECA], 51966),
    # int32 -123456789 = 0xF8A432EB
    (DataType.INT32, ByteOrder.ABCD, [0xF8A4, 0x32EB], -123456789),
    (DataType.INT32, ByteOrder.CDAB, [0x32EB, 0xF8A4], -123456789),
    (DataType.INT32, ByteOrder.BADC, [0xA4F8, 0xEB32], -123456789),
    (DataType.INT32, ByteOrder.DCBA, [0xEB32, 0xA4F8], -123456789),
    # uint32 305419896 = 0x12345678
    (DataType.UINT32, ByteOrder.ABCD, [0x1234, 0x5678], 305419896),
    (DataType.UINT32, ByteOrder.CDAB, [0x5678, 0x1234], 305419896),
    (DataType.UINT32, ByteOrder.BADC, [0x3412, 0x7856], 305419896),
    (DataType.UINT32, ByteOrder.DCBA, [0x7856, 0x3412], 305419896),
    # int64 -1234567890123456789 = 0xEEDDEF0B82167EEB
    (DataType.INT64, ByteOrder.ABCD, [0xEEDD, 0xEF0B, 0x8216, 0x7EEB], -1234567890123456789),
    (DataType.INT64, ByteOrder.CDAB, [0x7EEB, 0x8216, 0xEF0B, 0xEEDD], -1234567890123456789),
    (DataType.INT64, ByteOrder.BADC, [0xDDEE, 0x0BEF, 0x1682, 0xEB7E], -1234567890123456789),
    (DataType.INT64, ByteOrder.DCBA, [0xEB7E, 0x1682, 0x0BEF, 0xDDEE], -1234567890123456789),
    # uint64 81985529216486895 = 0x0123456789ABCDEF
    (DataType.UINT64, ByteOrder.ABCD, [0x0123, 0x4567, 0x89AB, 0xCDEF], 81985529216486895),
    (DataType.UINT64, ByteOrder.CDAB, [0xCDEF, 0x89AB, 0x4567, 0x0123], 81985529216486895),
    (DataType.UINT64, ByteOrder.BADC, [0x2301, 0x6745, 0xAB89, 0xEFCD], 81985529216486895),
    (DataType.UINT64, ByteOrder.DCBA, [0xEFCD, 0xAB89, 0x6745, 0x2301], 81985529216486895),
    # float32 123.456 = 0x42F6E979 (nearest float32 is 123.45600128173828)
    (DataType.FLOAT32, ByteOrder.ABCD, [0x42F6, 0xE979], 123.45600128173828),
    (DataType.FLOAT32, ByteOrder.CDAB, [0xE979, 0x42F6], 123.45600128173828),
    (DataType.FLOAT32, ByteOrder.BADC, [0xF642, 0x79E9], 123.45600128173828),
    (DataType.FLOAT32, ByteOrder.DCBA, [0x79E9, 0xF642], 123.45600128173828),
    # float64 123.456 = 0x405EDD2F1A9FBE77
    (DataType.FLOAT64, ByteOrder.ABCD, [0x405E, 0xDD2F, 0x1A9F, 0xBE77], 123.456),
    (DataType.FLOAT64, ByteOrder.CDAB, [0xBE77, 0x1A9F, 0xDD2F, 0x405E], 123.456),
    (DataType.FLOAT64, ByteOrder.BADC, [0x5E40, 0x2FDD, 0x9F1A, 0x77BE], 123.456),
    (DataType.FLOAT64, ByteOrder.DCBA, [0x77BE, 0x9F1A, 0x2FDD, 0x5E40], 123.456),
]


def test_vectors_cover_every_type_and_order() -> None:
    assert {(t, o) for t, o, _, _ in VECTORS} == {(t, o) for t in DataType for o in ByteOrder}


@pytest.mark.parametrize(
    ("data_type", "order", "words", "expected"),
    VECTORS,
    ids=[f"{t}-{o}" for t, o, _, _ in VECTORS],
)
def test_decode_every_type_and_order(data_type: DataType, order: ByteOrder, words: list[int], expected: float) -> None:
    value = decode_field(fld(data_type=data_type, byte_order=order), words)
    assert value == expected
    # Integer types with no scaling must come back as exact ints, floats as floats.
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("data_type", "count"),
    [
        (DataType.INT16, 1),
        (DataType.UINT16, 1),
        (DataType.INT32, 2),
        (DataType.UINT32, 2),
        (DataType.INT64, 4),
        (DataType.UINT64, 4),
        (DataType.FLOAT32, 2),
        (DataType.FLOAT64, 4),
    ],
)
def test_register_count(data_type: DataType, count: int) -> None:
    assert register_count(data_type) == count
    assert fld(data_type=data_type).count == count


class TestScaleAndOffset:
    def test_scale_and_offset_applied(self) -> None:
        # 2500 = 0x09C4; 2500 * 0.1 - 40 = 210
        value = decode_field(fld(scale=0.1, offset=-40.0), [0x09C4])
        assert value == pytest.approx(210.0)
        assert type(value) is float

    def test_litres_to_m3(self) -> None:
        # uint32 100000 = 0x000186A0
        value = decode_field(fld(data_type="uint32", scale=0.001), [0x0001, 0x86A0])
        assert value == pytest.approx(100.0)

    def test_offset_alone_makes_a_float(self) -> None:
        value = decode_field(fld(offset=0.5), [0x0002])
        assert value == 2.5
        assert type(value) is float

    def test_integer_scale_still_returns_float(self) -> None:
        value = decode_field(fld(scale=2), [0x0003])
        assert value == 6.0
        assert type(value) is float

    def test_unscaled_int_is_int(self) -> None:
        value = decode_field(fld(data_type="uint64"), [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF])
        # 2**64 - 1 is not representable as a float: an int keeps every digit.
        assert value == 18446744073709551615
        assert type(value) is int

    def test_signed_scaled(self) -> None:
        # int16 -1 = 0xFFFF; -1 * 0.5 = -0.5
        assert decode_field(fld(data_type="int16", scale=0.5), [0xFFFF]) == -0.5


class TestDecodeErrors:
    def test_wrong_register_count(self) -> None:
        f = fld("energy", address=72, data_type="float32")
        with pytest.raises(RegisterDecodeError, match="expected 2 register") as info:
            decode_field(f, [0x42F6])
        message = str(info.value)
        assert "'energy'" in message
        assert "register 72" in message
        assert "0x42F6" in message
        assert info.value.field is f

    def test_too_many_registers(self) -> None:
        with pytest.raises(RegisterDecodeError, match="expected 1 register"):
            decode_field(fld(), [1, 2])

    @pytest.mark.parametrize("bad", [65536, -1])
    def test_register_out_of_range(self, bad: int) -> None:
        f = fld("flow", address=10, data_type="uint32")
        with pytest.raises(RegisterDecodeError, match=r"outside 0\.\.65535") as info:
            decode_field(f, [0x0001, bad])
        message = str(info.value)
        assert "'flow'" in message and "register 10" in message
        assert f"0x0001, {bad}]" in message

    @pytest.mark.parametrize(
        ("data_type", "words"),
        [
            ("float32", [0x7FC0, 0x0000]),  # NaN
            ("float32", [0x7F80, 0x0000]),  # +inf
            ("float32", [0xFF80, 0x0000]),  # -inf
            ("float64", [0x7FF8, 0x0000, 0x0000, 0x0000]),  # NaN
            ("float64", [0x7FF0, 0x0000, 0x0000, 0x0000]),  # +inf
        ],
    )
    def test_non_finite_float(self, data_type: str, words: list[int]) -> None:
        f = fld("power", address=52, data_type=data_type)
        with pytest.raises(RegisterDecodeError) as info:
            decode_field(f, words)
        message = str(info.value)
        assert "'power'" in message and "register 52" in message
        assert f"0x{words[0]:04X}" in message

    def test_nan_after_byte_swap(self) -> None:
        # CDAB: words [0x0000, 0x7FC0] are the NaN 0x7FC00000.
        with pytest.raises(RegisterDecodeError):
            decode_field(fld(data_type="float32", byte_order="CDAB"), [0x0000, 0x7FC0])

    def test_scaling_overflow_is_an_error(self) -> None:
        # float64 max 0x7FEFFFFFFFFFFFFF times 10 overflows to inf.
        f = fld(data_type="float64", scale=10.0)
        with pytest.raises(RegisterDecodeError, match="not finite"):
            decode_field(f, [0x7FEF, 0xFFFF, 0xFFFF, 0xFFFF])

    def test_is_a_value_error(self) -> None:
        with pytest.raises(ValueError):
            decode_field(fld(), [])


class TestFieldValidation:
    def test_address_range(self) -> None:
        with pytest.raises(ValidationError):
            fld(address=65536)
        with pytest.raises(ValidationError):
            fld(address=-1)
        assert fld(address=65535).address == 65535

    def test_multi_register_field_must_fit(self) -> None:
        with pytest.raises(ValidationError, match="runs past register 65535"):
            fld(address=65535, data_type="uint32")
        assert fld(address=65534, data_type="uint32").end == 65536

    def test_unknown_key_rejected(self) -> None:
        with pytest.raises(ValidationError):
            fld(word_order="big")

    def test_unknown_enum_values_rejected(self) -> None:
        with pytest.raises(ValidationError):
            fld(data_type="float16")
        with pytest.raises(ValidationError):
            fld(byte_order="GHEF")
        with pytest.raises(ValidationError):
            fld(table="coil")

    @pytest.mark.parametrize("scale", [0.0, math.nan, math.inf])
    def test_bad_scale(self, scale: float) -> None:
        with pytest.raises(ValidationError):
            fld(scale=scale)

    def test_bad_offset(self) -> None:
        with pytest.raises(ValidationError):
            fld(offset=math.nan)

    def test_frozen(self) -> None:
        f = fld()
        with pytest.raises(ValidationError):
            f.scale = 2.0  # type: ignore[misc]

    def test_defaults(self) -> None:
        f = fld()
        assert (f.byte_order, f.scale, f.offset, f.unit) == (ByteOrder.ABCD, 1.0, 0.0, None)


class TestRegisterMap:
    def test_duplicate_names_rejected(self) -> None:
        with pytest.raises(ValidationError, match="'a' is used more than once"):
            RegisterMap(fields=(fld("a", 0), fld("a", 10)))

    def test_overlap_in_same_table_rejected(self) -> None:
        with pytest.raises(ValidationError, match=r"'a'.*'b'.*overlap"):
            RegisterMap(fields=(fld("a", 0, "float32"), fld("b", 1)))

    def test_overlap_found_regardless_of_order(self) -> None:
        with pytest.raises(ValidationError, match="overlap"):
            RegisterMap(fields=(fld("b", 3), fld("a", 0, "float64")))

    def test_same_address_in_other_table_allowed(self) -> None:
        m = RegisterMap(fields=(fld("a", 0, "float32", table="input"), fld("b", 0, table="holding")))
        assert m.names == ("a", "b")

    def test_adjacent_fields_allowed(self) -> None:
        m = RegisterMap(fields=(fld("a", 0, "float32"), fld("b", 2, "float32")))
        assert m.get("b").address == 2

    def test_get_unknown_lists_fields(self) -> None:
        m = RegisterMap(fields=(fld("a", 0), fld("b", 1)))
        with pytest.raises(KeyError, match=r"'c'.*a, b"):
            m.get("c")


class TestPlanReads:
    def test_empty(self) -> None:
        assert plan_reads([]) == []

    def test_merges_across_small_gap(self) -> None:
        a, b = fld("a", 0, "float32"), fld("b", 4, "float32")
        assert plan_reads([a, b], max_gap=2) == [ReadSpan(RegisterTable.INPUT, 0, 6, (a, b))]

    def test_gap_equal_to_max_gap_is_read_through(self) -> None:
        a, b = fld("a", 0), fld("b", 4)  # registers 1..3 unused: gap 3
        assert len(plan_reads([a, b], max_gap=3)) == 1
        assert len(plan_reads([a, b], max_gap=2)) == 2

    def test_splits_at_large_gap(self) -> None:
        a, b = fld("a", 0, "float32"), fld("b", 100, "float32")
        assert plan_reads([a, b], max_gap=8) == [
            ReadSpan(RegisterTable.INPUT, 0, 2, (a,)),
            ReadSpan(RegisterTable.INPUT, 100, 2, (b,)),
        ]

    def test_zero_gap_merges_only_adjacent(self) -> None:
        a, b, c = fld("a", 0, "float32"), fld("b", 2, "float32"), fld("c", 5)
        spans = plan_reads([a, b, c], max_gap=0)
        assert [(s.address, s.count) for s in spans] == [(0, 4), (5, 1)]

    def test_splits_at_max_span(self) -> None:
        a, b, c = (fld(n, i * 2, "float32") for i, n in enumerate("abc"))
        spans = plan_reads([a, b, c], max_span=4)
        assert spans == [
            ReadSpan(RegisterTable.INPUT, 0, 4, (a, b)),
            ReadSpan(RegisterTable.INPUT, 4, 2, (c,)),
        ]

    def test_span_may_be_exactly_max_span(self) -> None:
        fields = [fld(f"f{i}", i * 2, "float32") for i in range(62)] + [fld("last", 124)]
        spans = plan_reads(fields)  # 125 registers: the Modbus maximum
        assert [(s.address, s.count) for s in spans] == [(0, 125)]
        spans = plan_reads([*fields, fld("over", 125)])
        assert [(s.address, s.count) for s in spans] == [(0, 125), (125, 1)]

    def test_gap_counts_toward_max_span(self) -> None:
        a, b = fld("a", 0), fld("b", 5)
        assert len(plan_reads([a, b], max_span=5, max_gap=10)) == 2
        assert len(plan_reads([a, b], max_span=6, max_gap=10)) == 1

    def test_tables_never_merged(self) -> None:
        i = fld("i", 0, "float32", table="input")
        h1 = fld("h1", 0, table="holding")
        h2 = fld("h2", 2, "float32", table="holding")
        spans = plan_reads([h2, i, h1])
        assert spans == [
            ReadSpan(RegisterTable.HOLDING, 0, 4, (h1, h2)),
            ReadSpan(RegisterTable.INPUT, 0, 2, (i,)),
        ]

    def test_unsorted_input_is_sorted(self) -> None:
        a, b = fld("a", 0), fld("b", 1)
        assert plan_reads([b, a]) == [ReadSpan(RegisterTable.INPUT, 0, 2, (a, b))]

    def test_accepts_register_map(self) -> None:
        m = RegisterMap(fields=(fld("a", 0), fld("b", 1)))
        assert plan_reads(m) == plan_reads(list(m.fields))
        assert len(plan_reads(m)) == 1

    def test_every_field_planned_once(self) -> None:
        fields = [fld(f"f{i}", i * 7, "float64") for i in range(40)]
        spans = plan_reads(fields, max_span=30, max_gap=3)
        planned = [f for s in spans for f in s.fields]
        assert sorted(f.name for f in planned) == sorted(f.name for f in fields)
        for s in spans:
            assert s.count <= 30
            assert all(s.address <= f.address and f.end <= s.end for f in s.fields)

    @pytest.mark.parametrize(("max_span", "max_gap"), [(0, 0), (126, 0), (10, -1)])
    def test_bad_limits(self, max_span: int, max_gap: int) -> None:
        with pytest.raises(ValueError):
            plan_reads([fld()], max_span=max_span, max_gap=max_gap)

    def test_field_wider_than_max_span(self) -> None:
        with pytest.raises(ValueError, match="'big' needs 4 registers"):
            plan_reads([fld("big", 0, "float64")], max_span=3)


class TestDecodeSpan:
    def span(self) -> ReadSpan:
        fields = (
            fld("voltage", 0, "float32"),
            fld("status", 3, "uint16"),
            fld("energy", 4, "uint32", scale=0.1),
        )
        (span,) = plan_reads(fields, max_gap=1)
        assert (span.address, span.count) == (0, 6)
        return span

    def test_all_fields(self) -> None:
        # float32 123.456, unused register 2, uint16 7, uint32 1000 = 0x000003E8 -> 100.0
        result = decode_span(self.span(), [0x42F6, 0xE979, 0xDEAD, 0x0007, 0x0000, 0x03E8])
        assert result.errors == []
        assert result.values == {
            "voltage": pytest.approx(123.456, rel=1e-6),
            "status": 7,
            "energy": pytest.approx(100.0),
        }

    def test_bad_field_keeps_the_others(self) -> None:
        # voltage decodes to NaN
        result = decode_span(self.span(), [0x7FC0, 0x0000, 0x0000, 0x0007, 0x0000, 0x03E8])
        assert result.values == {"status": 7, "energy": pytest.approx(100.0)}
        assert [e.field.name for e in result.errors] == ["voltage"]
        assert "register 0" in str(result.errors[0])

    def test_out_of_range_register_only_hits_its_field(self) -> None:
        result = decode_span(self.span(), [0x42F6, 0xE979, 0x0000, 70000, 0x0000, 0x03E8])
        assert set(result.values) == {"voltage", "energy"}
        assert [e.field.name for e in result.errors] == ["status"]

    def test_unused_gap_registers_are_ignored(self) -> None:
        # An out-of-range value in the gap belongs to no field.
        result = decode_span(self.span(), [0x42F6, 0xE979, 99999, 0x0007, 0x0000, 0x03E8])
        assert result.errors == []
        assert len(result.values) == 3

    def test_wrong_length_read(self) -> None:
        with pytest.raises(ValueError, match=r"returned 5 register.*expected 6"):
            decode_span(self.span(), [0, 0, 0, 0, 0])

    def test_span_not_starting_at_zero(self) -> None:
        a, b = fld("a", 100, "int16"), fld("b", 102, "int32", byte_order="CDAB")
        (span,) = plan_reads([a, b])
        # int16 -2 = 0xFFFE; int32 -2 = 0xFFFFFFFE, CDAB -> [0xFFFE, 0xFFFF]
        result = decode_span(span, [0xFFFE, 0x0000, 0xFFFE, 0xFFFF])
        assert result.values == {"a": -2, "b": -2}
