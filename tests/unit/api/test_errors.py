"""One error shape everywhere: routing errors, validation, and ports that are down."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from access.roles import Role
from core.registry import AssetInfo
from storage.store import Aggregate, Sample, StoredValue, StoreUnavailable
from tests.unit.api.harness import Api, running_api


class DownStore:
    """A ReadingStore whose backend is unreachable."""

    def write(self, points: object) -> None:
        raise StoreUnavailable("InfluxDB at http://influx:8086 unreachable")

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        raise StoreUnavailable("InfluxDB at http://influx:8086 unreachable")

    def history(
        self, asset: AssetInfo, field: str, start: datetime, end: datetime, *, every: object = None,
        aggregate: Aggregate = Aggregate.MEAN,
    ) -> list[Sample]:  # fmt: skip
        raise StoreUnavailable("InfluxDB at http://influx:8086 unreachable")


def test_unknown_path_is_a_404_in_the_error_shape(api: Api) -> None:
    response = api.client.get("/nowhere", headers=api.as_role(Role.ADMIN))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "No endpoint at /nowhere; the API's paths are listed in /openapi.json",
        }
    }


def test_wrong_method_is_a_405_naming_the_allowed_ones(api: Api) -> None:
    response = api.client.delete("/assets", headers=api.as_role(Role.ADMIN))
    assert response.status_code == 405
    assert response.json() == {
        "error": {"code": "method_not_allowed", "message": "DELETE /assets is not supported; allowed methods: GET"}
    }


def test_docs_pages_are_not_served_and_the_schema_needs_a_key(api: Api) -> None:
    assert api.client.get("/docs").status_code == 404
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/openapi.json").status_code == 401
    schema = api.client.get("/openapi.json", headers=api.as_role(Role.FEE_MODULE))
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Facilities monitoring API"
    assert set(schema.json()["components"]["securitySchemes"]) == {"APIKeyHeader", "HTTPBearer"}


def test_an_unreachable_store_is_a_503_not_a_500(tmp_path: Path) -> None:
    with running_api(tmp_path, store=DownStore()) as api:
        for path in ("/assets/B1-L1/readings/latest", "/assets/B1-L1/readings/history?field=floor"):
            response = api.client.get(path, headers=api.as_role(Role.CREW))
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.json() == {
                "error": {"code": "unavailable", "message": "The reading store is unavailable; try again shortly"}
            }


def test_an_unreachable_database_is_a_503(tmp_path: Path) -> None:
    with running_api(tmp_path) as api:
        api.deps.session_factory().get_bind().dispose()
        (tmp_path / "facilities.db").unlink()
        (tmp_path / "facilities.db").mkdir()  # a folder where the database file was: SQLite cannot open it
        response = api.client.get("/assets", headers=api.as_role(Role.ADMIN))
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "unavailable", "message": "The database is unavailable; try again shortly"}
    }
