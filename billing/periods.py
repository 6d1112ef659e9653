"""Billing periods: calendar months in the site's time zone, written "2026-10".

A period is [first day 00:00, first day of the next month 00:00) local time. Asia/Shanghai has no daylight
saving, but the boundaries are computed with zoneinfo so a site elsewhere gets its own midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class BillingPeriod:
    """One calendar month of billing."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1 to 12")
        if not 2000 <= self.year <= 2999:
            raise ValueError(f"year {self.year} is outside 2000 to 2999")

    @classmethod
    def parse(cls, text: str) -> BillingPeriod:
        """`BillingPeriod.parse("2026-10")`; ValueError with the expected form otherwise."""
        match = _PERIOD.match(text.strip())
        if match is None:
            raise ValueError(f"period {text!r} must be a month written YYYY-MM, e.g. 2026-10")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> BillingPeriod:
        """The period a local calendar day belongs to."""
        return cls(day.year, day.month)

    @classmethod
    def last_completed(cls, now: datetime, timezone: str) -> BillingPeriod:
        """The month before the one `now` falls in (local time): what a month-start job bills."""
        return cls.containing(now.astimezone(ZoneInfo(timezone)).date()).previous()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start_date(self) -> date:
        """First day of the period."""
        return date(self.year, self.month, 1)

    @property
    def end_date(self) -> date:
        """First day of the next period (exclusive end)."""
        return self.next().start_date

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days

    def next(self) -> BillingPeriod:
        return BillingPeriod(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> BillingPeriod:
        return BillingPeriod(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, timezone: str) -> datetime:
        """Local midnight at the start of the period, as an aware datetime."""
        return local_midnight(self.start_date, timezone)

    def end(self, timezone: str) -> datetime:
        """Local midnight at the start of the next period."""
        return local_midnight(self.end_date, timezone)


def local_midnight(day: date, timezone: str) -> datetime:
    """00:00 of `day` in `timezone`, aware."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
