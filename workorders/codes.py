"""Work-order codes: WO-YYYYMMDD-NNNN, numbered per site and per calendar day in the site's time zone.

The number comes from a counter row per (site, day) that the repository increments inside the
transaction that inserts the order: concurrent writers queue on that row, and a rolled-back order
gives its number back, so codes have no gaps and no duplicates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
_CODE = re.compile(r"^WO-(\d{8})-(\d{4,})$")


def format_code(day: date, number: int) -> str:
    """`WO-20261126-0007`; a site with more than 9,999 orders in a day gets a fifth digit."""
    if number < 1:
        raise ValueError(f"work-order numbers start at 1, got {number}")
    return f"WO-{day:%Y%m%d}-{number:04d}"


def parse_code(code: str) -> tuple[date, int]:
    """The day and the number a code names."""
    match = _CODE.match(code)
    if match is None:
        raise ValueError(f"{code!r} is not a work-order code like WO-20261126-0007")
    digits = match[1]
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValueError(f"{code!r} names no calendar day") from None
    return day, int(match[2])


def local_day(when: datetime, tz: tzinfo = CHINA) -> date:
    """The site's calendar day at `when`: 2026-11-26T16:30Z is already the 27th in Shanghai."""
    if when.tzinfo is None:
        raise ValueError("local_day needs a time-zone aware datetime")
    return when.astimezone(tz).date()
