"""When a calendar task falls due: the cadence, the working days of the site's calendar, the last time it was done.

A due date never falls on a public holiday or a weekend (the alerts file's calendar, with its make-up working
days 调休): it moves to the working day before, so the work is done before the break rather than after it.
The 15-day cadence counts from the previous due date (or the day the work was actually done, if earlier), so two
visits are never more than 15 days apart — TSG T5002's "at least once every 15 days". The monthly cadences
keep to the plan's anchor (the 5th of every third month), each moved off holidays the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from alerts.config import Calendar
from maintenance.config import MONTHS, Cadence

FIFTEEN_DAYS = timedelta(days=15)


def is_working_day(day: date, calendar: Calendar) -> bool:
    return calendar.weekday(day) < 5


def working_day_on_or_before(day: date, calendar: Calendar) -> date:
    """`day`, or the last working day before it (at most a fortnight back: a calendar of all holidays is absurd)."""
    for back in range(15):
        candidate = day - timedelta(days=back)
        if is_working_day(candidate, calendar):
            return candidate
    return day


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def next_due(cadence: Cadence, *, anchor: date, after: date | None, done_on: date | None, calendar: Calendar) -> date:
    """The first due date after the previous one (`after`, None for the first), on a working day.

    `done_on` is when the previous occurrence was completed; an early completion pulls the 15-day cadence
    forward with it.
    """
    if cadence is Cadence.DAYS_15:
        if after is None:
            return working_day_on_or_before(anchor, calendar)
        base = min(after, done_on) if done_on is not None else after
        return working_day_on_or_before(base + FIFTEEN_DAYS, calendar)
    step = MONTHS[cadence]
    k = 0
    while True:
        due = working_day_on_or_before(add_months(anchor, step * k), calendar)
        if after is None or due > after:
            return due
        k += 1


def due_dates(cadence: Cadence, *, anchor: date, until: date, calendar: Calendar) -> Iterator[date]:
    """Every due date from the anchor up to `until`, each work done on its due date (for plans and tests)."""
    due: date | None = None
    while True:
        due = next_due(cadence, anchor=anchor, after=due, done_on=None, calendar=calendar)
        if due > until:
            return
        yield due


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The moment a due date ends in the site's zone: "done by the due date" means before this."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
