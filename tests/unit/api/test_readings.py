"""Latest values and history from a real EmbeddedStore, written through the registry's tags."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from access.roles import Role
from core.reading import Reading
from storage.embedded import EmbeddedStore
from storage.points import to_point
from tests.unit.api.harness import NOW, Api


def store_of(api: Api) -> EmbeddedStore:
    store = api.deps.store
    assert isinstance(store, EmbeddedStore)
    return store


def write(api: Api, asset_id: str, minutes_ago: float, **fields: float | int | bool | str) -> None:
    info = api.deps.registry.get(asset_id)
    store_of(api).write([to_point(Reading(asset_id, NOW - timedelta(minutes=minutes_ago), fields), info)])


def get(api: Api, path: str) -> tuple[int, Any]:
    response = api.client.get(path, headers=api.as_role(Role.CREW))
    return response.status_code, response.json()


def test_latest_has_every_field_of_the_newest_point(api: Api) -> None:
    write(api, "B1-L1", 2, state="moving", floor=3)
    write(api, "B1-L1", 1, state="idle", floor=5, alarm=False, vibration=0.25)
    assert get(api, "/assets/B1-L1/readings/latest") == (
        200,
        {
            "asset_id": "B1-L1",
            "ts": "2026-11-26T07:59:00Z",
            "fields": {"state": "idle", "floor": 5, "alarm": False, "vibration": 0.25},
            "times": {name: "2026-11-26T07:59:00Z" for name in ("state", "floor", "alarm", "vibration")},
        },
    )


def test_latest_keeps_each_fields_own_last_value_and_time(api: Api) -> None:
    """A Shelly's power message after its energy message: `total` stays in latest, with its own time."""
    write(api, "B1-L1", 3, state="moving", floor=3, vibration=0.5)
    write(api, "B1-L1", 2, vibration=0.25)
    status, body = get(api, "/assets/B1-L1/readings/latest")
    assert status == 200
    assert body["fields"] == {"state": "moving", "floor": 3, "vibration": 0.25}
    assert body["times"] == {"state": "2026-11-26T07:57:00Z", "floor": "2026-11-26T07:57:00Z", "vibration": body["ts"]}
    assert body["ts"] == "2026-11-26T07:58:00Z"


def test_latest_of_an_asset_without_readings_is_empty_not_an_error(api: Api) -> None:
    assert get(api, "/assets/B2-L2/readings/latest") == (
        200,
        {"asset_id": "B2-L2", "ts": None, "fields": {}, "times": {}},
    )


def test_unknown_asset_is_a_404(api: Api) -> None:
    assert get(api, "/assets/GHOST/readings/latest")[0] == 404
    assert get(api, "/assets/GHOST/readings/history?field=total") == (
        404,
        {"error": {"code": "not_found", "message": "Asset GHOST not found"}},
    )


def test_raw_history_defaults_to_the_last_24_hours(api: Api) -> None:
    for minutes_ago, total in ((25 * 60, 1.0), (90, 10.0), (30, 10.5), (0, 11.0)):
        write(api, "B1-0101-W", minutes_ago, total=total)
    status, body = get(api, "/assets/B1-0101-W/readings/history?field=total")
    assert status == 200
    # The end is exclusive: the point at exactly now is not in [now - 24 h, now).
    assert body == {
        "asset_id": "B1-0101-W",
        "field": "total",
        "start": "2026-11-25T08:00:00Z",
        "end": "2026-11-26T08:00:00Z",
        "every": None,
        "aggregate": None,
        "samples": [{"ts": "2026-11-26T06:30:00Z", "value": 10.0}, {"ts": "2026-11-26T07:30:00Z", "value": 10.5}],
        "truncated": False,
    }


def test_bucketed_history_with_an_aggregate(api: Api) -> None:
    for minutes_ago, total in ((150, 1.0), (130, 2.0), (70, 3.0), (65, 5.0)):
        write(api, "B1-0101-W", minutes_ago, total=total)
    query = "field=total&start=2026-11-26T13:00:00%2B08:00&end=2026-11-26T16:00:00%2B08:00&every=1h"
    status, body = get(api, f"/assets/B1-0101-W/readings/history?{query}&aggregate=max")
    assert status == 200
    assert (body["start"], body["end"], body["every"], body["aggregate"]) == (
        "2026-11-26T13:00:00+08:00",
        "2026-11-26T16:00:00+08:00",
        "1h",
        "max",
    )
    assert body["samples"] == [
        {"ts": "2026-11-26T05:00:00Z", "value": 2.0},
        {"ts": "2026-11-26T06:00:00Z", "value": 5.0},
    ]
    assert get(api, f"/assets/B1-0101-W/readings/history?{query}")[1]["aggregate"] == "last"
    assert [
        s["value"] for s in get(api, f"/assets/B1-0101-W/readings/history?{query}&aggregate=count")[1]["samples"]
    ] == [2, 2]


def test_raw_history_is_cut_at_the_limit_and_says_so(api: Api) -> None:
    for minute in range(5):
        write(api, "B1-0101-E", 10 - minute, total=float(minute))
    status, body = get(api, "/assets/B1-0101-E/readings/history?field=total&limit=3")
    assert status == 200
    assert [s["value"] for s in body["samples"]] == [0.0, 1.0, 2.0]
    assert body["truncated"] is True


def test_an_aggregate_the_field_type_cannot_take_is_a_422(api: Api) -> None:
    write(api, "B1-L1", 5, state="idle")
    status, body = get(api, "/assets/B1-L1/readings/history?field=state&every=1h&aggregate=mean")
    assert (status, body) == (
        422,
        {"error": {"code": "invalid_request", "message": "mean is not defined for string field 'state'"}},
    )


EVERY_PATTERN = "query.every: String should match pattern '^([1-9][0-9]{0,6})([smhd])$'"
AGGREGATES = "'mean', 'min', 'max', 'first', 'last', 'sum' or 'count'"
END_RANGE = "end must be between 1970-01-01T00:00:00+00:00 and 2262-01-01T00:00:00+00:00"
START_ORDER = "start must be before end and not before 1970-01-01T00:00:00+00:00"
RAW_WINDOW = "raw samples are served for at most 7 days; add every (e.g. 1h) or narrow the window"
BUCKETS = "at most 10000 buckets of at most 366d; choose a longer every"
YEAR_AGO = "start=2025-11-01T00:00:00Z"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "query.field: Field required"),
        ("field=total&start=2026-11-26T00:00:00", "query.start: Input should have timezone info"),
        ("field=total&end=yesterday", "query.end: Input should be a valid datetime or date, input is too short"),
        ("field=total&every=5x", EVERY_PATTERN),
        ("field=total&every=0h", EVERY_PATTERN),
        ("field=total&aggregate=median", f"query.aggregate: Input should be {AGGREGATES}"),
        ("field=total&limit=0", "query.limit: Input should be greater than or equal to 1"),
        ("field=total&start=2026-11-26T08:00:00Z&end=2026-11-26T08:00:00Z", START_ORDER),
        ("field=total&end=1969-12-31T00:00:00Z", END_RANGE),
        ("field=total&end=9999-12-31T23:59:59Z", END_RANGE),
        ("field=total&start=2026-11-01T00:00:00Z", RAW_WINDOW),
        (f"field=total&{YEAR_AGO}&every=1m", BUCKETS),
        (f"field=total&{YEAR_AGO}&every=400d", BUCKETS),
        ("field=to%00tal", "query.field: String should match pattern '^[^\\x00-\\x1f\\x7f]+$'"),
    ],
)
def test_bad_history_parameters_are_422_with_a_clear_message(api: Api, query: str, message: str) -> None:
    status, body = get(api, f"/assets/B1-0101-W/readings/history?{query}")
    assert status == 422
    assert body["error"]["code"] == "invalid_request"
    assert body["error"]["message"] == message
