"""How the spool writes a refused reading's text: short reasons, text SQLite takes, JSON whatever the values."""

from __future__ import annotations

import json

import orjson

from core.reading import Reading
from core.validation import InvalidReading

ERROR_MAX = 1000  # characters of a dead letter's reason; a reason quoting a device's text stays short


def reason(exc: BaseException, what: str = "") -> str:
    text = str(exc) if isinstance(exc, InvalidReading) else f"{what or 'cannot be stored'}: {type(exc).__name__}: {exc}"
    return text[:ERROR_MAX]


def safe(text: str) -> str:
    """Text SQLite takes whatever a device sent: lone surrogates and NUL replaced."""
    return "".join("\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def payload(reading: Reading) -> bytes:
    """The reading as the dead letter keeps it: JSON whatever its values (ASCII escapes, big numbers as text)."""
    return json.dumps({"ts": reading.ts.isoformat(), **reading.fields}, default=repr).encode()


def row_payload(row: tuple[str, int, bytes]) -> bytes:
    asset_id, ts_ns, fields = row
    return json.dumps({"asset_id": asset_id, "ts_ns": ts_ns, **orjson.loads(fields)}).encode()
