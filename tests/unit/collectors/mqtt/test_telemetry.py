from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.mqtt.collector import NoRoute, OwnTopicDecoder
from collectors.mqtt.telemetry import MAX_PAYLOAD_BYTES, PayloadError, decode_telemetry, parse_timestamp

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-26T08:00:00+08:00", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("2026-11-26T00:00:00Z", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("2026-11-26T00:00:00", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        (1795651200, datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        (1795651200.5, datetime(2026, 11, 26, 0, 0, 0, 500000, tzinfo=UTC)),
        (1795651200123, datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_timestamps(raw: object, expected: datetime) -> None:
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", True, None, [1], float("inf")])
def test_bad_timestamps(raw: object) -> None:
    with pytest.raises(PayloadError):
        parse_timestamp(raw)


def test_missing_ts_takes_the_receive_time() -> None:
    reading = decode_telemetry("B1-0101-W", b'{"total": 12.5}', NOW)
    assert reading.ts == NOW
    assert reading.fields == {"total": 12.5}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{bad", "not JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'{"ts": 1795651200}', "no fields besides ts"),
        (b'{"total": {"value": 1}}', "field 'total' has a dict value"),
        (b"\xff\xfe", "not JSON"),
        (b'{"total": 1, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}', "exceeds the"),
    ],
)
def test_bad_payloads_are_explained(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode_telemetry("B1-0101-W", payload, NOW)


def test_own_topic_routes_to_the_asset() -> None:
    decode = OwnTopicDecoder("lakeview")
    [reading] = decode("facilities/lakeview/B1-L1/telemetry", b'{"floor": 3}', NOW)
    assert reading.asset_id == "B1-L1"
    with pytest.raises(NoRoute, match="does not match facilities/lakeview/<asset_id>/telemetry"):
        decode("facilities/other/B1-L1/telemetry", b'{"floor": 3}', NOW)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[" * 60_000, "not JSON: depth limit exceeded"),
        (b'{"total": ' + b"1" * 5000 + b"}", "not JSON: number is inf"),
    ],
)
def test_json_that_python_cannot_load_is_a_payload_error(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode_telemetry("B1-0101-W", payload, NOW)
