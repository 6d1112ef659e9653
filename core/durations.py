"""The one duration grammar (numbers with a unit, `s`, `m`, `h` or `d`) and times of day (`"08:00"`).

Config files take the generous form (`parse_duration`: `"1h30m"`, `"0.5h"`, a number of seconds, zero);
command-line options and query parameters take one positive whole number and a unit (`parse_span`:
`"15m"`, `"24h"`, `"7d"`); the API declares `SPAN_PATTERN` for its query parameters.
"""

from __future__ import annotations

import math
import re
from datetime import time, timedelta
from typing import Annotated

from pydantic import BeforeValidator

UNIT_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_DURATION_RE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[dhms])+\s*")
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
SPAN_PATTERN = r"^([1-9][0-9]{0,6})([smhd])$"
_SPAN_RE = re.compile(SPAN_PATTERN)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


def parse_duration(value: object) -> timedelta:
    """`"30s"`, `"15m"`, `"6h"`, `"1d"`, `"1h30m"` or a number of seconds, as a timedelta (config files)."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION_RE.fullmatch(value):
        seconds = sum(float(n) * UNIT_SECONDS[u] for n, u in _PART_RE.findall(value))
    else:
        raise ValueError("not a duration; write e.g. '30s', '15m', '6h', '1d' or a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration must be zero or more")
    return timedelta(seconds=seconds)


def parse_span(text: str, *, example: str = "24h") -> timedelta:
    """`"90m"`, `"24h"`, `"7d"`: one positive whole number and a unit (command-line options, query parameters)."""
    match = _SPAN_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"duration {text!r}: write a positive whole number and s, m, h or d, e.g. {example}")
    return timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


def parse_time_of_day(value: object) -> time:
    """`"08:00"` (or a TOML local time) as a time of day in the site's time zone."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError("not a time of day; write e.g. '08:00'")
    return time(int(match[1]), int(match[2]))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[time, BeforeValidator(parse_time_of_day)]
