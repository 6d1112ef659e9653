"""When a route is due: slots every `every` from `start` in the site's time zone (pure functions, no clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from patrols.config import Route

EPOCH = datetime(2024, 1, 1)  # slots count from this local date at the route's start time


def _anchor(route: Route, zone: ZoneInfo) -> datetime:
    return datetime.combine(EPOCH.date(), route.start, tzinfo=zone)


def slot_of(route: Route, at: datetime, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the slot that `at` falls in: the latest due time at or before `at`."""
    anchor = _anchor(route, zone)
    local = at.astimezone(zone)
    steps = (local.replace(tzinfo=None) - anchor.replace(tzinfo=None)) // route.every
    return (anchor + steps * route.every).astimezone(UTC)


def slots_between(route: Route, start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """Every slot start (UTC) in [start, end)."""
    slot = slot_of(route, start, zone)
    if slot < start:
        slot = _next(slot, route, zone)
    while slot < end:
        yield slot
        slot = _next(slot, route, zone)


def _next(slot: datetime, route: Route, zone: ZoneInfo) -> datetime:
    local = slot.astimezone(zone).replace(tzinfo=None) + route.every  # wall-clock steps, as people plan them
    return local.replace(tzinfo=zone).astimezone(UTC)


def lookback(route: Route) -> timedelta:
    """How far back the watcher looks for late and missed slots (a restart after a day off still tells)."""
    return 3 * route.every + route.deadline
