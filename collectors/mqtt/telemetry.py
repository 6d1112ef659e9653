"""Our own JSON telemetry format: `{"ts": ..., "total": 123.4}` on facilities/<site>/<asset_id>/telemetry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

import orjson

from core.reading import FieldValue, Reading

MAX_PAYLOAD_BYTES = 64 * 1024


class PayloadError(ValueError):
    """Bytes that are not a reading; the message says what is wrong with them."""


def parse_timestamp(value: object) -> datetime:
    """ISO 8601 (a zone is required, or it is taken as UTC) or epoch seconds/milliseconds."""
    if isinstance(value, bool):
        raise PayloadError(f"ts {value!r} is not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise PayloadError(f"ts {value!r} is not a time")
        # Devices send seconds or milliseconds; 1e11 seconds is the year 5138, so larger means ms.
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise PayloadError(f"ts {value!r} is out of range") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PayloadError(f"ts {value!r} is not ISO 8601 or epoch seconds") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise PayloadError(f"ts {value!r} is not a time")


def load_json_object(payload: bytes) -> Mapping[str, object]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit")
    try:
        # orjson: several times faster than json, and every failure (bad UTF-8, depth, numbers) is one error.
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, got {type(data).__name__}")
    return data


def decode_telemetry(asset_id: str, payload: bytes, now: datetime) -> Reading:
    data = load_json_object(payload)
    ts = parse_timestamp(data["ts"]) if data.get("ts") is not None else now
    fields: dict[str, FieldValue] = {}
    for key, value in data.items():
        if key == "ts":
            continue
        if not isinstance(value, int | float | str | bool):
            raise PayloadError(f"field {key!r} has a {type(value).__name__} value; expected a number, text or bool")
        fields[key] = value
    if not fields:
        raise PayloadError("no fields besides ts")
    return Reading(asset_id, ts, fields)
