"""Codes: WO-YYYYMMDD-NNNN, counted per site and per day of the site's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import FakeClock
from tests.unit.workorders.builders import T0, elevator_alarm
from workorders.codes import format_code, local_day, parse_code
from workorders.service import create_resident_request, open_from_alarm
from workorders.unit_of_work import FakeUnitOfWork
from workorders.values import Category, Priority


def test_format_and_parse() -> None:
    assert format_code(date(2026, 11, 26), 7) == "WO-20261126-0007"
    assert format_code(date(2026, 11, 26), 10_000) == "WO-20261126-10000"
    assert parse_code("WO-20261126-0007") == (date(2026, 11, 26), 7)


@pytest.mark.parametrize("bad", ["WO-2026112-0007", "WO-20261126-07", "XX-20261126-0007", "WO-20261131-0001"])
def test_parse_refuses_what_is_not_a_code(bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        parse_code(bad)


def test_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1, got 0"):
        format_code(date(2026, 11, 26), 0)


def test_the_day_is_the_sites_day() -> None:
    assert local_day(datetime(2026, 11, 26, 15, 59, tzinfo=UTC)) == date(2026, 11, 26)
    assert local_day(datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == date(2026, 11, 27)


def request(uow: FakeUnitOfWork, clock: FakeClock, site_id: str = "lakeview") -> str:
    return create_resident_request(
        uow,
        site_id=site_id,
        category=Category.PLUMBING,
        priority=Priority.NORMAL,
        title="Blocked drain",
        description="Kitchen sink drains slowly",
        reporter="B1-0302 Ms Zhang",
        actor="clerk-li",
        clock=clock,
    ).code


def test_codes_count_per_site_and_start_again_each_local_day() -> None:
    uow, clock = FakeUnitOfWork(), FakeClock(T0)
    first = request(uow, clock)
    second = open_from_alarm(uow, elevator_alarm(), clock=clock).code
    other_site = request(uow, clock, site_id="riverside")
    clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))  # midnight in Shanghai
    next_day = request(uow, clock)
    clock.advance(timedelta(hours=23, minutes=59))
    assert [first, second, other_site, next_day, request(uow, clock)] == [
        "WO-20261126-0001",
        "WO-20261126-0002",
        "WO-20261126-0001",
        "WO-20261127-0001",
        "WO-20261127-0002",
    ]
