"""The hooks for routers written elsewhere: extra routers behind `require`, domain conflicts as 409."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.testclient import TestClient

from access.roles import Permission, Role
from api.app import create_app
from api.deps import KeyHolderDep, require, route_permissions
from tests.unit.api.harness import running_api


class IllegalTransition(Exception):
    """Stands in for a domain refusal such as workorders' IllegalTransition."""


def work_order_router() -> APIRouter:
    router = APIRouter(prefix="/work-orders", tags=["work orders"])

    @router.post("/{order_id}/close", dependencies=[require(Permission.TRANSITION_WORK_ORDERS)])
    def close(order_id: str) -> dict[str, str]:
        raise IllegalTransition(f"work order {order_id} is open; resolve it before closing")

    @router.delete("/{order_id}", dependencies=[require(Permission.DELETE_WORK_ORDERS)])
    def delete(order_id: str, caller: KeyHolderDep) -> dict[str, str]:
        return {"deleted": order_id, "by": caller.name}

    return router


def test_an_extra_router_is_mounted_behind_its_permissions(tmp_path: Path) -> None:
    with running_api(tmp_path) as api:
        app = create_app(api.deps, routers=[work_order_router()], conflicts=[IllegalTransition])
        table = route_permissions(app)
        assert table[("POST", "/work-orders/{order_id}/close")] == {Permission.TRANSITION_WORK_ORDERS}
        assert table[("DELETE", "/work-orders/{order_id}")] == {Permission.DELETE_WORK_ORDERS}
        with TestClient(app) as client:
            crew, staff = api.as_role(Role.CREW), api.as_role(Role.STAFF)
            assert client.delete("/work-orders/WO-1", headers=crew).status_code == 403
            assert client.delete("/work-orders/WO-1").status_code == 401
            deleted = client.delete("/work-orders/WO-1", headers=staff)
            assert (deleted.status_code, deleted.json()) == (200, {"deleted": "WO-1", "by": "staff key"})
            refused = client.post("/work-orders/WO-1/close", headers=crew)
            assert refused.status_code == 409
            assert refused.json() == {
                "error": {"code": "conflict", "message": "work order WO-1 is open; resolve it before closing"}
            }
            assert client.post("/work-orders/WO-1/close", headers=api.as_role(Role.FEE_MODULE)).status_code == 403
