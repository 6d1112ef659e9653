"""Due dates: the 15-day cadence over a year with the holiday calendar, and the monthly cadences."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from alerts.config import Calendar
from maintenance.cadence import add_months, due_dates, is_working_day, next_due, working_day_on_or_before
from maintenance.config import MONTHS, Cadence

# 2026 as published: Spring Festival 2-15..2-23 with make-up days 2-14 (Sat) and 2-28 (Sat); National Day 10-1..10-7
# with 9-20 and 10-10 worked. (Illustrative; the alerts file carries the real calendar each year.)
HOLIDAYS = [date(2026, 1, 1), *(date(2026, 2, 15) + timedelta(days=i) for i in range(9)),
            *(date(2026, 10, 1) + timedelta(days=i) for i in range(7))]  # fmt: skip
CALENDAR = Calendar(holidays=tuple(HOLIDAYS), workdays=(date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10)))


def test_fifteen_day_cadence_over_a_year_never_lands_on_a_holiday_nor_leaves_more_than_15_days() -> None:
    dues = list(due_dates(Cadence.DAYS_15, anchor=date(2026, 1, 5), until=date(2026, 12, 31), calendar=CALENDAR))
    assert dues[0] == date(2026, 1, 5)
    assert all(is_working_day(d, CALENDAR) for d in dues)
    assert not set(dues) & set(HOLIDAYS)
    gaps = [(b - a).days for a, b in pairwise(dues)]
    assert max(gaps) <= 15
    assert 25 <= len(dues) <= 30  # at least 24 visits a year; holidays pull some earlier
    # the Spring Festival: the visit that would fall in it is done on the working day before it
    assert date(2026, 2, 13) in dues or date(2026, 2, 14) in dues
    assert not any(date(2026, 2, 15) <= d <= date(2026, 2, 23) for d in dues)


def test_a_make_up_saturday_is_a_working_day() -> None:
    assert is_working_day(date(2026, 2, 14), CALENDAR)  # Saturday worked (调休)
    assert not is_working_day(date(2026, 2, 21), CALENDAR)
    assert working_day_on_or_before(date(2026, 10, 7), CALENDAR) == date(2026, 9, 30)


def test_early_completion_pulls_the_15_day_cadence_forward() -> None:
    due = next_due(Cadence.DAYS_15, anchor=date(2026, 3, 2), after=date(2026, 3, 2), done_on=date(2026, 2, 27),
                   calendar=Calendar())  # fmt: skip
    assert due == date(2026, 3, 13)  # 2-27 + 15 = 3-14 (Saturday) → Friday 3-13
    late = next_due(Cadence.DAYS_15, anchor=date(2026, 3, 2), after=date(2026, 3, 2), done_on=date(2026, 3, 9),
                    calendar=Calendar())  # fmt: skip
    assert late == date(2026, 3, 17)  # a late visit does not push the next one back


@pytest.mark.parametrize(
    ("cadence", "count"), [(Cadence.MONTHLY, 12), (Cadence.QUARTERLY, 4), (Cadence.HALF_YEARLY, 2), (Cadence.YEARLY, 1)]
)
def test_monthly_cadences_keep_to_the_anchor(cadence: Cadence, count: int) -> None:
    dues = list(due_dates(cadence, anchor=date(2026, 1, 5), until=date(2026, 12, 31), calendar=CALENDAR))
    assert len(dues) == count
    assert all(is_working_day(d, CALENDAR) for d in dues)
    step = MONTHS[cadence]
    nominal = [add_months(date(2026, 1, 5), step * k) for k in range(count)]
    assert all(0 <= (n - d).days <= 10 for n, d in zip(nominal, dues, strict=True))  # the anchor day or just before


def test_the_quarter_falling_in_national_day_moves_before_it() -> None:
    dues = list(due_dates(Cadence.QUARTERLY, anchor=date(2026, 1, 5), until=date(2026, 12, 31), calendar=CALENDAR))
    assert date(2026, 9, 30) in dues  # 10-05 is a holiday → 9-30


def test_month_ends() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
