"""SLA statistics and the breach list, over orders worked at known times on a FakeClock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from access.roles import Role
from tests.unit.api.workorders_harness import OrdersApi, order_in, orders_api
from workorders.lifecycle import Status
from workorders.sla import check_breaches
from workorders.unit_of_work import SqlAlchemyUnitOfWork

SLA = "/sites/lakeview/sla"
NO_BREACH = {"acknowledge": 0, "on_site": 0, "resolve": 0}


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdersApi]:
    """Seven orders: one early on 1 Nov in Shanghai, three lifts on the 26th, two taps on the 27th, one in December."""
    with orders_api(tmp_path_factory.mktemp("sla")) as running:
        codes: dict[str, str] = {}

        def at(when: datetime, name: str, action: str = "create", **fields: str) -> None:
            running.clock.set(when)
            if action == "create":
                codes[name] = running.create(**fields)
            else:
                assert running.act(codes[name], action)[0] == 200

        # 00:10 on 1 November in Shanghai, still 31 October in UTC: a November order. Never taken.
        at(utc(31, 16, 10, month=10), "lamp", category="lighting", priority="low", title="Garden lamp dark")
        elevator = {"category": "elevator", "priority": "high", "title": "Lift jerks"}  # 5 min / 30 min / 24 h
        at(utc(26, 8, 0), "lift1", **elevator)
        at(utc(26, 8, 2), "lift1", "acknowledge")
        at(utc(26, 8, 10), "lift1", "arrive")
        at(utc(26, 8, 10), "lift2", **elevator)
        at(utc(26, 8, 14), "lift2", "acknowledge")
        at(utc(26, 8, 20), "lift3", **elevator)
        at(utc(26, 8, 29), "lift3", "acknowledge")  # 9 min: acknowledge missed
        at(utc(26, 8, 50), "lift2", "arrive")  # 40 min: on site missed
        at(utc(26, 9, 0), "lift1", "resolve")
        at(utc(26, 10, 10), "lift2", "resolve")
        tap = {"category": "plumbing", "title": "Tap drips"}  # normal: 1 h / 24 h / 72 h
        at(utc(27, 0, 0), "tap1", **tap)
        at(utc(27, 0, 30), "tap1", "acknowledge")
        at(utc(27, 1, 0), "tap2", **tap)
        at(utc(27, 2, 30), "tap2", "acknowledge")  # 90 min: acknowledge missed
        # The scheduler's check marks what nobody did: lift3 never arrived, the lamp was never taken.
        check_breaches(SqlAlchemyUnitOfWork(running.base.sessions), utc(27, 3, 0))
        at(utc(30, 16, 30), "december", category="other", title="Notice board loose")  # 1 Dec in Shanghai
        running.clock.set(utc(15, 12, 0))
        order_in(running.base, Status.OPEN, site_id="elsewhere")  # another hub's order in the shared database
        yield running


def test_monthly_statistics_with_medians_per_category(api: OrdersApi) -> None:
    status, body = api.call(Role.STAFF, "GET", f"{SLA}/statistics?year=2026&month=11")
    assert status == 200
    assert {k: body[k] for k in ("site_id", "year", "month", "timezone", "start", "end")} == {
        "site_id": "lakeview", "year": 2026, "month": 11, "timezone": "Asia/Shanghai",
        "start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00",
    }  # fmt: skip
    empty = {"breaches": 0, "breaches_by_kind": NO_BREACH, "count": 0}
    no_medians = {"median_to_acknowledge_s": None, "median_to_arrive_s": None, "median_to_resolve_s": None}
    assert body["categories"] == [
        # Acknowledged after 2, 4 and 9 min; on site after 10 and 40 min; resolved after 60 and 120 min.
        {"category": "elevator", "count": 3, "breaches": 3,
         "breaches_by_kind": {"acknowledge": 1, "on_site": 2, "resolve": 0},
         "median_to_acknowledge_s": 240.0, "median_to_arrive_s": 1500.0, "median_to_resolve_s": 5400.0},
        # Acknowledged after 30 and 90 min.
        {"category": "plumbing", "count": 2, "breaches": 1,
         "breaches_by_kind": {"acknowledge": 1, "on_site": 0, "resolve": 0},
         "median_to_acknowledge_s": 3600.0, "median_to_arrive_s": None, "median_to_resolve_s": None},
        {"category": "electrical", **empty, **no_medians},
        {"category": "lighting", "count": 1, "breaches": 3,
         "breaches_by_kind": {"acknowledge": 1, "on_site": 1, "resolve": 1}, **no_medians},
        {"category": "metering", **empty, **no_medians},
        {"category": "security", **empty, **no_medians},
        {"category": "other", **empty, **no_medians},
    ]  # fmt: skip


def test_an_order_counts_in_its_month_of_the_site_calendar(api: OrdersApi) -> None:
    december = api.call(Role.ADMIN, "GET", f"{SLA}/statistics?year=2026&month=12")[1]["categories"]
    assert {row["category"]: row["count"] for row in december if row["count"]} == {"other": 1}
    october = api.call(Role.ADMIN, "GET", f"{SLA}/statistics?year=2026&month=10")[1]["categories"]
    assert sum(row["count"] for row in october) == 0


def breach(code: str, kind: str, due: str, detected: str, category: str, priority: str, status: str) -> dict[str, Any]:
    return {
        "code": code, "kind": kind, "due_at": due, "detected_at": detected, "category": category,
        "priority": priority, "status": status, "asset_id": None, "assignee": "crew key", "team": None,
    }  # fmt: skip


LAMP = ("WO-20261101-0001", "lighting", "low", "open")
LAMP_UNTAKEN = {"assignee": None}
CHECK = "2026-11-27T03:00:00Z"
ALL_BREACHES = [
    breach(LAMP[0], "acknowledge", "2026-10-31T20:10:00Z", CHECK, *LAMP[1:]) | LAMP_UNTAKEN,
    breach(LAMP[0], "on_site", "2026-11-03T16:10:00Z", CHECK, *LAMP[1:]) | LAMP_UNTAKEN,
    breach(LAMP[0], "resolve", "2026-11-07T16:10:00Z", CHECK, *LAMP[1:]) | LAMP_UNTAKEN,
    breach("WO-20261126-0003", "on_site", "2026-11-26T08:50:00Z", CHECK, "elevator", "high", "acknowledged"),
    breach("WO-20261127-0002", "acknowledge", "2026-11-27T02:00:00Z", "2026-11-27T02:30:00Z", "plumbing", "normal",
           "acknowledged"),
    breach("WO-20261126-0002", "on_site", "2026-11-26T08:40:00Z", "2026-11-26T08:50:00Z", "elevator", "high",
           "resolved"),
    breach("WO-20261126-0003", "acknowledge", "2026-11-26T08:25:00Z", "2026-11-26T08:29:00Z", "elevator", "high",
           "acknowledged"),
]  # fmt: skip


def test_the_breach_list_newest_first(api: OrdersApi) -> None:
    status, page = api.call(Role.STAFF, "GET", f"{SLA}/breaches")
    assert status == 200
    assert (page["items"], page["total"]) == (ALL_BREACHES, 7)


@pytest.mark.parametrize(
    ("query", "indexes", "total"),
    [
        ("kind=acknowledge", [0, 4, 6], 3),
        ("category=elevator", [3, 5, 6], 3),
        ("category=elevator&kind=on_site", [3, 5], 2),
        ("detected_from=2026-11-27T00:00:00%2B08:00&detected_before=2026-11-27T11:00:00%2B08:00", [4], 1),
        ("limit=2&offset=3", [3, 4], 7),
        ("category=metering", [], 0),
    ],
)
def test_the_breach_list_filtered(api: OrdersApi, query: str, indexes: list[int], total: int) -> None:
    page = api.call(Role.STAFF, "GET", f"{SLA}/breaches?{query}")[1]
    assert (page["items"], page["total"]) == ([ALL_BREACHES[i] for i in indexes], total)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/statistics?year=2026&month=13", 422),
        ("/statistics?year=2026", 422),
        ("/statistics?year=1999&month=1", 422),
        ("/breaches?detected_from=2026-11-27T00:00:00Z&detected_before=2026-11-26T00:00:00Z", 422),
        ("/breaches?kind=late", 422),
    ],
)
def test_bad_parameters_are_422(api: OrdersApi, path: str, status: int) -> None:
    assert api.call(Role.STAFF, "GET", f"{SLA}{path}")[0] == status


def test_another_site_is_a_404(api: OrdersApi) -> None:
    for path in ("/sites/elsewhere/sla/breaches", "/sites/elsewhere/sla/statistics?year=2026&month=11"):
        assert api.call(Role.STAFF, "GET", path) == (
            404,
            {"error": {"code": "not_found", "message": "Site elsewhere not found"}},
        )
