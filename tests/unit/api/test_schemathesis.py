"""Property-based requests generated from the app's own OpenAPI document: no input may produce a 5xx.

Schemathesis generates valid and invalid parameters and bodies for every operation and sends them
with an admin key; `not_a_server_error` fails on any 5xx answer or unhandled exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from access.roles import Role
from api.app import create_app
from api.ports import ApiDependencies
from api.workorder_deps import WORK_ORDER_CONFLICTS
from core.reading import Reading
from storage.embedded import EmbeddedStore
from storage.points import to_point
from tests.unit.api.harness import NOW, Api, running_api
from tests.unit.api.workorders_harness import order_in
from workorders.lifecycle import Status


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("schemathesis")) as running:
        # Some stored data, so aggregates and latest values run on real rows.
        store = running.deps.store
        assert isinstance(store, EmbeddedStore)
        for asset_id, fields in (("B1-0101-W", {"total": 12.5}), ("B1-L1", {"state": "idle", "floor": 3})):
            info = running.deps.registry.get(asset_id)
            store.write([to_point(Reading(asset_id, NOW - timedelta(minutes=m), fields), info) for m in (5, 65)])
        running.spool.reject(source="test", payload=b"\xff{", error="malformed JSON")
        # Orders in every state, the first one WO-20261126-0001 (the code the schema gives as its example).
        for status in Status:
            order_in(running, status)
        # The app as the hub builds it: refused work-order moves answer 409.
        app = create_app(running.deps, conflicts=WORK_ORDER_CONFLICTS)
        with TestClient(app) as client:
            yield replace(running, app=app, client=client)


# The schema does not depend on the ports, so it is read from an app over a placeholder at import
# (schemathesis' lazy `from_fixture` needs pytest internals that pytest 9 no longer has).
schema = schemathesis.openapi.from_dict(create_app(cast(ApiDependencies, object())).openapi())


def test_the_schema_is_the_one_the_app_serves(api: Api) -> None:
    served = api.client.get("/openapi.json", headers=api.as_role(Role.ADMIN))
    assert served.status_code == 200
    assert served.json() == schema.raw_schema


def send(api: Api, case: schemathesis.Case, headers: dict[str, str] | None = None) -> httpx.Response:
    """Send a generated case through the app's TestClient.

    Schemathesis' own ASGI transport goes through `requests`, which breaks on the urllib3-future
    that grafana-client's niquests installs over urllib3; the TestClient speaks httpx instead. `headers`
    carry the caller's key (an admin's unless given).
    """
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers or api.as_role(Role.ADMIN))
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif "data" in kwargs:
        body["content" if isinstance(kwargs["data"], bytes | str) else "data"] = kwargs["data"]
    assert not kwargs.get("cookies"), "the API declares no cookies"
    unknown = set(kwargs) - {"method", "url", "headers", "params", "cookies", "json", "data"}
    assert not unknown, f"transport arguments this test does not forward: {unknown}"
    return api.client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=kwargs.get("headers"), **body
    )


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: schemathesis.Case, api: Api) -> None:
    case.validate_response(send(api, case), checks=[not_a_server_error])
