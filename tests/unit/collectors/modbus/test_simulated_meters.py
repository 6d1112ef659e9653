"""The Modbus simulator's wire encoding (pinned to hand-written words) and its meters' behaviour over a day."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collectors.modbus.registers import ByteOrder, DataType, RegisterField, RegisterMap, RegisterTable, decode_field
from simulators.modbus_encode import EncodeError, encode_field, garbage
from simulators.modbus_meters import Behaviour, SimulatedMeter

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)


def fld(data_type: DataType, order: ByteOrder = ByteOrder.ABCD, **extra: object) -> RegisterField:
    return RegisterField.model_validate(
        {"name": "x", "table": "holding", "address": 0, "data_type": data_type, "byte_order": order, **extra}
    )


@pytest.mark.parametrize(
    ("order", "float_one", "uint32"),
    [
        (ByteOrder.ABCD, [0x3F80, 0x0000], [0x1234, 0x5678]),
        (ByteOrder.CDAB, [0x0000, 0x3F80], [0x5678, 0x1234]),
        (ByteOrder.BADC, [0x803F, 0x0000], [0x3412, 0x7856]),
        (ByteOrder.DCBA, [0x0000, 0x803F], [0x7856, 0x3412]),
    ],
)
def test_32_bit_words_in_each_byte_order(order: ByteOrder, float_one: list[int], uint32: list[int]) -> None:
    assert encode_field(fld(DataType.FLOAT32, order), 1.0) == float_one
    assert encode_field(fld(DataType.UINT32, order), 0x12345678) == uint32


def test_16_and_64_bit_words() -> None:
    assert encode_field(fld(DataType.INT16, scale=0.1), -0.2) == [0xFFFE]
    assert encode_field(fld(DataType.INT16, ByteOrder.BADC, scale=0.1), -0.2) == [0xFEFF]
    assert encode_field(fld(DataType.UINT64, ByteOrder.CDAB), 0x0102030405060708) == [0x0708, 0x0506, 0x0304, 0x0102]
    assert encode_field(fld(DataType.UINT16, scale=0.1, offset=-40), 21.5) == [0x0267]  # (21.5 + 40) / 0.1 = 615


def test_values_a_type_cannot_carry() -> None:
    with pytest.raises(EncodeError, match=r"field 'x': 70000 is raw 70000, outside uint16 0\.\.65535"):
        encode_field(fld(DataType.UINT16), 70000, wrap=False)
    assert encode_field(fld(DataType.UINT16), 70000) == [70000 - 65536]  # a counter rolls over
    with pytest.raises(EncodeError, match="outside int16"):
        encode_field(fld(DataType.INT16), 40000)
    with pytest.raises(EncodeError, match="does not fit a float32"):
        encode_field(fld(DataType.FLOAT32), 1e39)
    assert garbage(fld(DataType.FLOAT64)) == [0xFFFF] * 4


@pytest.mark.parametrize("order", list(ByteOrder))
@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        (DataType.INT16, -12345),
        (DataType.UINT16, 54321),
        (DataType.INT32, -2_000_000_000),
        (DataType.UINT32, 4_000_000_000),
        (DataType.INT64, -(2**62) - 7),
        (DataType.UINT64, 2**63 + 11),
        (DataType.FLOAT32, -1234.5),
        (DataType.FLOAT64, 0.1),
    ],
)
def test_the_collectors_decoder_reads_what_the_simulator_encodes(
    data_type: DataType, order: ByteOrder, value: float
) -> None:
    field = fld(data_type, order)
    assert decode_field(field, encode_field(field, value)) == value


def meter(behaviour: Behaviour, *names: tuple[str, str | None], peak: float = 2.0, seed: int = 7) -> SimulatedMeter:
    fields = [
        RegisterField(name=n, table=RegisterTable.INPUT, address=4 * i, data_type=DataType.FLOAT64, unit=u)
        for i, (n, u) in enumerate(names)
    ]
    return SimulatedMeter.create(
        RegisterMap(fields=tuple(fields)), behaviour, peak=peak, zone=SHANGHAI, rng=random.Random(seed), now=MIDNIGHT
    )


def hourly_use(m: SimulatedMeter, hour: int) -> float:
    before = m.values["total"]
    m.advance(MIDNIGHT + timedelta(hours=hour), 3600)
    return m.values["total"] - before


def test_energy_follows_the_daily_load_profile() -> None:
    m = meter(Behaviour.ELECTRICITY, ("total", "kWh"), ("rate", "W"), ("voltage", "V"), ("current", "A"))
    night, evening = hourly_use(m, 3), hourly_use(m, 19)
    # 2 kW at the peak: the evening hour uses close to 2 kWh, the small hours about a tenth of that.
    assert evening == pytest.approx(2.0, rel=0.15)
    assert night == pytest.approx(0.16, rel=0.2)
    assert m.values["rate"] == pytest.approx(2000, rel=0.15)  # at 20:00, near the evening peak
    assert 225 < m.values["voltage"] < 235
    assert m.values["current"] == pytest.approx(m.values["rate"] / (m.values["voltage"] * 0.95), rel=0.01)


def test_water_comes_in_usage_events() -> None:
    m = meter(Behaviour.WATER, ("total", "m3"), ("rate", None), peak=4.0)
    start = m.values["total"]
    used_per_minute = []
    for minute in range(24 * 60):
        before = m.values["total"]
        m.advance(MIDNIGHT + timedelta(minutes=minute), 60)
        used_per_minute.append(m.values["total"] - before)
    assert all(u >= 0 for u in used_per_minute)
    idle = sum(1 for u in used_per_minute if u == 0)
    assert 0.5 * 1440 < idle < 0.98 * 1440  # mostly idle, with bursts
    assert max(used_per_minute) <= 12 / 1000 + 1e-12  # never above the largest tap flow, 12 L/min
    assert 0.1 < m.values["total"] - start < 2.0  # a day of a household's water, in m³


def test_counters_only_grow_and_static_devices_stay_put() -> None:
    m = meter(Behaviour.GAS, ("total", "m3"), ("import_kwh", "kWh"))
    m.set("total", 10.0)
    m.advance(MIDNIGHT, 86_400)
    assert m.values["total"] > 10.0
    s = meter(Behaviour.STATIC, ("total", "m3"))
    s.set("total", 5.0)
    s.advance(MIDNIGHT, 86_400)
    assert s.values == {"total": 5.0}
    with pytest.raises(KeyError, match="no field 'totl'; fields: total"):
        s.set("totl", 1.0)


def test_time_zone_matters_for_the_profile() -> None:
    utc_evening = meter(Behaviour.ELECTRICITY, ("total", "kWh"))
    before = utc_evening.values["total"]
    utc_evening.advance(datetime(2026, 11, 26, 11, 0, tzinfo=UTC), 3600)  # 19:00 in Shanghai
    assert utc_evening.values["total"] - before == pytest.approx(2.0, rel=0.15)
