"""Daily windows in the site's zone: plain, crossing midnight, whole day; and the first qualifying stay."""

from __future__ import annotations

from datetime import time, timedelta

from rules.windows import first_stay, window_at
from tests.unit.rules.support import ZONE, local


def test_a_window_contains_its_start_but_not_its_end() -> None:
    assert window_at(local(1, 2), time(2), time(5), ZONE) == (local(1, 2), local(1, 5))
    assert window_at(local(1, 5), time(2), time(5), ZONE) is None
    assert window_at(local(1, 1, 59), time(2), time(5), ZONE) is None


def test_a_window_crossing_midnight_belongs_to_the_evening_it_opened() -> None:
    assert window_at(local(2, 1), time(23), time(5), ZONE) == (local(1, 23), local(2, 5))
    assert window_at(local(1, 23, 30), time(23), time(5), ZONE) == (local(1, 23), local(2, 5))


def test_equal_start_and_end_is_the_whole_day() -> None:
    assert window_at(local(1, 14), time(0), time(0), ZONE) == (local(1, 0), local(2, 0))


def test_first_stay_waits_for_the_next_window_when_too_little_of_this_one_is_left() -> None:
    stay = timedelta(minutes=30)
    assert first_stay(local(1, 7), time(8), time(17), stay, ZONE) == local(1, 8, 30)
    assert first_stay(local(1, 12), time(8), time(17), stay, ZONE) == local(1, 12, 30)
    assert first_stay(local(1, 16, 31), time(8), time(17), stay, ZONE) == local(2, 8, 30)
    assert first_stay(local(1, 16, 30), time(8), time(17), stay, ZONE) == local(1, 17)
