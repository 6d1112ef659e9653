"""The site tree from examples/site.toml (buildings, units, areas; the Modbus entries are not relied on)."""

from __future__ import annotations

from typing import Any

from access.roles import Role
from tests.unit.api.harness import Api


def get(api: Api, path: str) -> tuple[int, Any]:
    response = api.client.get(path, headers=api.as_role(Role.CREW))
    return response.status_code, response.json()


def test_the_hub_serves_one_site(api: Api) -> None:
    status, body = get(api, "/sites")
    assert status == 200
    assert isinstance(body, list) and len(body) == 1
    site = body[0]
    assert {k: site[k] for k in ("id", "name", "timezone", "address", "buildings", "units", "areas")} == {
        "id": "lakeview",
        "name": "湖景花園 Lakeview Gardens",
        "timezone": "Asia/Shanghai",
        "address": "88 Hubin Road, Hangzhou",
        "buildings": 2,
        "units": 120,
        "areas": 7,
    }
    assert get(api, "/sites/lakeview") == (200, site)


def test_an_unknown_site_is_a_404(api: Api) -> None:
    assert get(api, "/sites/elsewhere") == (
        404,
        {"error": {"code": "not_found", "message": "Site elsewhere not found"}},
    )
    assert get(api, "/sites/elsewhere/units")[0] == 404


def test_buildings(api: Api) -> None:
    status, body = get(api, "/sites/lakeview/buildings")
    assert status == 200
    assert body == [
        {"id": "B1", "name": "1号楼", "floors": 20, "basement_floors": 1, "units": 60},
        {"id": "B2", "name": "2号楼", "floors": 20, "basement_floors": 1, "units": 60},
    ]
    assert get(api, "/sites/lakeview/buildings/B2") == (200, body[1])
    assert get(api, "/sites/lakeview/buildings/B9")[0] == 404


def test_units_are_paginated_and_filtered(api: Api) -> None:
    status, page = get(api, "/sites/lakeview/units?building=B1&limit=2&offset=3")
    assert status == 200
    assert page == {
        "items": [
            {"id": "B1-0201", "building": "B1", "floor": 2, "area_m2": None, "vacant": False},
            {"id": "B1-0202", "building": "B1", "floor": 2, "area_m2": None, "vacant": False},
        ],
        "total": 60,
        "limit": 2,
        "offset": 3,
    }
    status, vacant = get(api, "/sites/lakeview/units?vacant=true")
    assert status == 200
    assert [unit["id"] for unit in vacant["items"]] == ["B1-0302", "B1-1201", "B2-0703"]
    assert get(api, "/sites/lakeview/units/B1-0302") == (
        200,
        {"id": "B1-0302", "building": "B1", "floor": 3, "area_m2": None, "vacant": True},
    )
    assert get(api, "/sites/lakeview/units/B1-9999")[0] == 404


def test_areas(api: Api) -> None:
    status, lobbies = get(api, "/sites/lakeview/areas?kind=lobby")
    assert status == 200
    assert lobbies == [
        {"id": "B1-lobby", "name": "1号楼大堂", "kind": "lobby", "building": "B1"},
        {"id": "B2-lobby", "name": "2号楼大堂", "kind": "lobby", "building": "B2"},
    ]
    assert get(api, "/sites/lakeview/areas/garage") == (
        200,
        {"id": "garage", "name": "地下车库", "kind": "garage", "building": None},
    )
    assert get(api, "/sites/lakeview/areas?building=B2")[1] == [
        {"id": "B2-lobby", "name": "2号楼大堂", "kind": "lobby", "building": "B2"},
        {"id": "B2-corridor", "name": "2号楼走廊", "kind": "corridor", "building": "B2"},
    ]
    assert get(api, "/sites/lakeview/areas/roof")[0] == 404


def test_bad_pagination_and_filters_are_422(api: Api) -> None:
    for query in ("limit=0", "limit=501", "offset=-1", "vacant=perhaps"):
        status, body = get(api, f"/sites/lakeview/units?{query}")
        assert status == 422, query
        assert body["error"]["code"] == "invalid_request"
    assert get(api, "/sites/lakeview/areas?kind=rooftop")[0] == 422
