"""Assets from the registry: filters, pagination, one asset with its tags."""

from __future__ import annotations

from typing import Any

from access.roles import Role
from tests.unit.api.harness import Api


def get(api: Api, path: str) -> tuple[int, Any]:
    response = api.client.get(path, headers=api.as_role(Role.STAFF))
    return response.status_code, response.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [item["asset_id"] for item in page["items"]]


def test_the_meters_of_a_unit(api: Api) -> None:
    status, page = get(api, "/assets?unit=B1-0101")
    assert status == 200
    assert ids(page) == ["B1-0101-E", "B1-0101-G", "B1-0101-W"]
    assert page["total"] == 3
    assert page["items"][2] == {
        "asset_id": "B1-0101-W",
        "kind": "meter",
        "device_kind": None,
        "measurement": "meter",
        "tags": {"site": "lakeview", "utility": "water", "meter_id": "B1-0101-W", "building": "B1", "unit": "B1-0101"},
        "expected_interval_s": 900,
    }


def test_filters_combine(api: Api) -> None:
    assert ids(get(api, "/assets?kind=elevator")[1]) == ["B1-L1", "B1-L2", "B2-L1", "B2-L2"]
    assert ids(get(api, "/assets?kind=elevator&building=B2")[1]) == ["B2-L1", "B2-L2"]
    assert ids(get(api, "/assets?unit=B2-2003&utility=gas")[1]) == ["B2-2003-G"]
    assert get(api, "/assets?building=B1&utility=water&kind=meter&limit=1")[1]["total"] == 60
    assert get(api, "/assets?building=B7")[1] == {"items": [], "total": 0, "limit": 100, "offset": 0}


def test_pages_are_stable_and_sorted(api: Api) -> None:
    first = ids(get(api, "/assets?kind=meter&building=B1&utility=electricity&limit=2")[1])
    second = ids(get(api, "/assets?kind=meter&building=B1&utility=electricity&limit=2&offset=2")[1])
    assert first + second == ["B1-0101-E", "B1-0102-E", "B1-0103-E", "B1-0201-E"]


def test_one_elevator_with_its_fields(api: Api) -> None:
    status, body = get(api, "/assets/B1-L1")
    assert status == 200
    assert body == {
        "asset_id": "B1-L1",
        "kind": "elevator",
        "device_kind": None,
        "measurement": "elevator",
        "tags": {"site": "lakeview", "building": "B1", "elevator_id": "B1-L1"},
        "expected_interval_s": 10,
        "protocol": "mqtt",
        "unit_of_measure": None,
        "fields": {
            "state": "string",
            "floor": "int",
            "door": "string",
            "vibration": "float",
            "noise_db": "float",
            "load": "float",
            "fault_code": "int",
            "alarm": "bool",
            "in_door_zone": "bool",
        },
    }


def test_a_unit_meter_has_its_unit_of_measure(api: Api) -> None:
    status, body = get(api, "/assets/B2-0101-E")
    assert status == 200
    assert (body["unit_of_measure"], body["protocol"], body["fields"]) == (
        "kWh",
        "mqtt",
        {"total": "float", "rate": "float"},
    )


def test_unknown_asset_and_bad_filters(api: Api) -> None:
    assert get(api, "/assets/NOPE-1") == (404, {"error": {"code": "not_found", "message": "Asset NOPE-1 not found"}})
    status, body = get(api, "/assets?kind=fridge")
    assert status == 422
    assert body["error"]["details"][0]["location"] == "query.kind"
    assert get(api, "/assets?utility=steam")[0] == 422
