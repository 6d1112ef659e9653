"""Daily time windows (daylight, night) in the site's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)


def window_at(ts: datetime, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The window [start, end) containing `ts`, as aware datetimes, or None.

    A window whose end is not after its start crosses midnight; start = end is a whole day from `start`.
    """
    local = ts.astimezone(zone)
    for day in (local.date() - DAY, local.date()):
        opens = datetime.combine(day, start, tzinfo=zone)
        closes = datetime.combine(day if end > start else day + DAY, end, tzinfo=zone)
        if opens <= local < closes:
            return opens, closes
    return None


def first_stay(since: datetime, start: time, end: time, stay: timedelta, zone: ZoneInfo) -> datetime:
    """The first moment at or after `since` that something present since `since` has been inside [start, end)
    of one day for `stay` (start < end, stay ≤ end - start)."""
    day = since.astimezone(zone).date()
    while True:
        opens = datetime.combine(day, start, tzinfo=zone)
        closes = datetime.combine(day, end, tzinfo=zone)
        entered = max(since, opens)
        if entered < closes and entered + stay <= closes:
            return entered + stay
        day += DAY


def span_text(start: time, end: time) -> str:
    """`08:00–17:00`."""
    return f"{start:%H:%M}–{end:%H:%M}"
