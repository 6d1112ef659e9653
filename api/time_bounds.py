"""The instants a time series can hold: InfluxDB stores nanoseconds since 1970 in a signed 64-bit integer."""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 1, 1, tzinfo=UTC)
