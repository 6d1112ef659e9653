"""DL/T 645-2007 frames against hand-written bytes: the two public examples are from meter vendors' notes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from collectors.dlt645.config import DATA_ITEMS, DataItem, Dlt645Binding, Identifier
from collectors.dlt645.frames import (
    BcdError,
    Frame,
    FrameError,
    FrameSplitter,
    address_bytes,
    checksum,
    decode,
    decode_bcd,
    encode,
    encode_bcd,
    read_address_request,
    read_request,
)

ENERGY = DATA_ITEMS[Identifier.TOTAL_ENERGY]
VOLTAGE = DATA_ITEMS[Identifier.VOLTAGE_A]
CURRENT = DATA_ITEMS[Identifier.CURRENT_A]
POWER = DATA_ITEMS[Identifier.POWER_TOTAL]

WAKE = bytes.fromhex("FE FE FE FE")
# Read total active energy (DI 00000000) from meter 000012345678.
READ_TOTAL = bytes.fromhex("68 78 56 34 12 00 00 68 11 04 33 33 33 33 C5 16")
# Its normal reply: 12345.67 kWh = BCD 01 23 45 67, sent lowest byte first and +33H.
REPLY_TOTAL = bytes.fromhex("68 78 56 34 12 00 00 68 91 08 33 33 33 33 9A 78 56 34 E5 16")
# Its error reply: error byte 02H (no such data) +33H.
ERROR_REPLY = bytes.fromhex("68 78 56 34 12 00 00 68 D1 01 35 EB 16")


def test_the_address_goes_lowest_digits_first() -> None:
    assert address_bytes("000012345678") == bytes.fromhex("78 56 34 12 00 00")
    assert address_bytes("AAAAAAAAAAAA") == bytes([0xAA] * 6)


def test_a_read_request_matches_the_hand_built_frame() -> None:
    assert read_request("000012345678", ENERGY.di) == WAKE + READ_TOTAL
    assert encode(Frame("000012345678", 0x11, bytes(4)), wake_up=False) == READ_TOTAL


def test_a_vendor_example_request_and_its_reply() -> None:
    # Forward active energy (DI 00010000) from meter 000102030425, answered with 1206.42 kWh.
    request = bytes.fromhex("68 25 04 03 02 01 00 68 11 04 33 33 34 33 E1 16")
    reply = decode(bytes.fromhex("68 25 04 03 02 01 00 68 91 08 33 33 34 33 75 39 45 33 8B 16"))
    assert read_request("000102030425", 0x00010000) == WAKE + request
    assert (reply.address, reply.control, reply.data[:4]) == ("000102030425", 0x91, bytes.fromhex("00 00 01 00"))
    assert decode_bcd(reply.data[4:], ENERGY) == 1206.42


def test_the_wildcard_read_address_request() -> None:
    assert read_address_request() == WAKE + bytes.fromhex("68 AA AA AA AA AA AA 68 13 00 DF 16")


def test_a_normal_reply_decodes_to_the_exact_energy() -> None:
    frame = decode(WAKE + REPLY_TOTAL)
    assert (frame.address, frame.control, frame.is_error_reply) == ("000012345678", 0x91, False)
    assert frame.data[:4] == bytes(4)
    assert decode_bcd(frame.data[4:], ENERGY) == 12345.67
    assert encode(Frame("000012345678", 0x91, bytes(4) + encode_bcd(12345.67, ENERGY)), wake_up=False) == REPLY_TOTAL


def test_an_error_reply_names_its_error() -> None:
    frame = decode(ERROR_REPLY)
    assert frame.is_error_reply
    assert frame.error_text() == "error 0x02 (no such data)"


def test_the_checksum_is_the_byte_sum_from_the_first_68() -> None:
    assert checksum(READ_TOTAL[:-2]) == 0xC5
    corrupt = REPLY_TOTAL[:-2] + bytes([0xE6, 0x16])
    with pytest.raises(FrameError, match="bad checksum 0xE6, expected 0xE5"):
        decode(corrupt)
    with pytest.raises(FrameError, match="not 0x16"):
        decode(REPLY_TOTAL[:-1] + b"\x17")
    with pytest.raises(FrameError, match="length byte"):
        decode(REPLY_TOTAL[:-3] + REPLY_TOTAL[-2:])


@pytest.mark.parametrize(
    ("item", "value", "wire"),
    [
        (ENERGY, 0.0, "00 00 00 00"),
        (ENERGY, 999999.99, "99 99 99 99"),
        (ENERGY, 0.01, "01 00 00 00"),
        (VOLTAGE, 220.0, "00 22"),
        (VOLTAGE, 229.5, "95 22"),
        (CURRENT, 1.5, "00 15 00"),
        (CURRENT, -1.5, "00 15 80"),  # the top bit of the most significant byte is the sign
        (POWER, 2.5, "00 50 02"),
        (POWER, -79.9999, "99 99 F9"),
    ],
)
def test_bcd_values_both_ways(item: DataItem, value: float, wire: str) -> None:
    assert encode_bcd(value, item) == bytes.fromhex(wire)
    assert decode_bcd(bytes.fromhex(wire), item) == value


def test_bcd_edge_cases_are_refused() -> None:
    with pytest.raises(BcdError, match="not BCD"):
        decode_bcd(bytes.fromhex("1A 00 00 00"), ENERGY)
    with pytest.raises(BcdError, match="expected 4"):
        decode_bcd(bytes.fromhex("00 00 00"), ENERGY)
    with pytest.raises(BcdError, match="does not fit"):
        encode_bcd(1_000_000.0, ENERGY)
    with pytest.raises(BcdError, match="does not fit"):
        encode_bcd(-1.0, ENERGY)
    with pytest.raises(BcdError, match="does not fit"):
        encode_bcd(80.0, POWER)  # 80 would set the sign bit


def test_the_splitter_finds_frames_across_chunks_and_noise() -> None:
    splitter = FrameSplitter()
    stream = b"\x00\x68\x01" + WAKE + REPLY_TOTAL + WAKE + ERROR_REPLY
    for i in range(0, len(stream), 5):
        splitter.feed(stream[i : i + 5])
    assert splitter.next_frame() == REPLY_TOTAL
    assert splitter.next_frame() == ERROR_REPLY
    assert splitter.next_frame() is None


def binding(**changes: object) -> Dlt645Binding:
    fields: dict[str, object] = {"protocol": "dlt645", "serial_port": "/dev/ttyUSB0", "address": "000012345678"}
    return Dlt645Binding.model_validate(fields | changes)


def test_the_binding_defaults_to_the_standards_serial_framing() -> None:
    b = binding()
    assert b.serial_settings() == (2400, "E", 1, 8)
    assert [i.field for i in b.items] == ["total"]
    assert str(b.line) == "dlt645 rtu /dev/ttyUSB0"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "12345678"}, "12 decimal digits"),
        ({"address": "00001234567A"}, "12 decimal digits"),
        ({"identifiers": ["total_energy", "total_energy"]}, "more than once"),
        ({"identifiers": ["reactive_energy"]}, "total_energy"),
        ({"transport": "tcp", "serial_port": None}, "needs host"),
        ({"transport": "tcp", "host": "10.0.0.7", "port": 8899}, "serial_port is for"),
        ({"host": "10.0.0.7"}, "host is for"),
    ],
)
def test_a_bad_binding_says_what_to_fix(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        binding(**changes)
