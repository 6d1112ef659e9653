"""`/health` (open, 200 or 503 with each check) and `/metrics` (Prometheus text, admin and staff)."""

from __future__ import annotations

import threading
from pathlib import Path

from access.roles import Role
from api.health_checks import database_check, store_check, tcp_check
from core.health import ComponentHealth
from storage.database import make_engine, session_factory
from storage.embedded import EmbeddedStore
from tests.unit.api.harness import Api, running_api


def test_healthy_when_every_check_passes(tmp_path: Path) -> None:
    checks = {"broker": lambda: (True, "connected"), "store": lambda: (True, "answered")}
    with running_api(tmp_path, health_checks=checks) as api:
        response = api.client.get("/health")
        ready = api.client.get("/health/ready")
        live = api.client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "reasons": [],
        "checks": {
            "broker": {"ok": True, "state": "ok", "detail": "connected", "figures": {}},
            "store": {"ok": True, "state": "ok", "detail": "answered", "figures": {}},
        },
    }
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "reasons": []})
    assert (live.status_code, live.json()) == (200, {"status": "alive", "reason": None})


def test_503_naming_the_failed_raising_and_hung_checks(tmp_path: Path) -> None:
    release = threading.Event()

    def raises() -> tuple[bool, str]:
        raise ConnectionRefusedError("port 1883")

    def hangs() -> tuple[bool, str]:
        release.wait(10)
        return True, "late"

    checks = {"broker": raises, "store": hangs, "database": lambda: (False, "locked"), "spool": lambda: (True, "ok")}
    try:
        with running_api(tmp_path, health_checks=checks) as api:
            response = api.client.get("/health")
            ready = api.client.get("/health/ready")
    finally:
        release.set()
    assert response.status_code == 503 == ready.status_code
    body = response.json()
    assert body["status"] == "failing" == ready.json()["status"]
    assert {name: (c["ok"], c["state"], c["detail"]) for name, c in body["checks"].items()} == {
        "broker": (False, "failing", "check failed: ConnectionRefusedError: port 1883"),
        "store": (False, "failing", "no answer within 1 s"),
        "database": (False, "failing", "locked"),
        "spool": (True, "ok", "ok"),
    }
    assert (
        sorted(body["reasons"])
        == sorted(ready.json()["reasons"])
        == [
            "broker: check failed: ConnectionRefusedError: port 1883",
            "database: locked",
            "store: no answer within 1 s",
        ]
    )


def test_degraded_is_200_with_the_reasons_worst_first(tmp_path: Path) -> None:
    checks = {
        "store": lambda: ComponentHealth.degraded("writes fail, readings wait in the spool", error="refused"),
        "spool": lambda: ComponentHealth.ok("writable", depth=12),
        "devices": lambda: ComponentHealth.degraded("1 of 5 polled devices offline: PUMP-E", offline=1),
    }
    with running_api(tmp_path, health_checks=checks) as api:
        response = api.client.get("/health")
        ready = api.client.get("/health/ready")
    assert response.status_code == 200 == ready.status_code
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["store"] == {
        "ok": True,
        "state": "degraded",
        "detail": "writes fail, readings wait in the spool",
        "figures": {"error": "refused"},
    }
    assert body["checks"]["spool"]["figures"] == {"depth": 12}
    assert set(body["reasons"]) == {
        "store: writes fail, readings wait in the spool",
        "devices: 1 of 5 polled devices offline: PUMP-E",
    }


def test_one_failing_part_makes_the_whole_failing_and_comes_first(tmp_path: Path) -> None:
    checks = {
        "store": lambda: ComponentHealth.degraded("slow"),
        "mqtt": lambda: ComponentHealth.failing("not connected to the broker for 45 s"),
    }
    with running_api(tmp_path, health_checks=checks) as api:
        response = api.client.get("/health")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["mqtt: not connected to the broker for 45 s", "store: slow"]


def test_liveness_says_exiting_once_the_process_decided_to_exit(tmp_path: Path) -> None:
    with running_api(tmp_path, exiting=lambda: "thread rules died: RuntimeError: boom") as api:
        live = api.client.get("/health/live")
    assert live.status_code == 503
    assert live.json() == {"status": "exiting", "reason": "thread rules died: RuntimeError: boom"}


def test_ready_made_checks(tmp_path: Path, api: Api) -> None:
    assert database_check(api.sessions)() == (True, "database answered")
    missing = session_factory(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    ok, detail = database_check(missing)()
    assert not ok and detail.startswith("database unreachable: OperationalError")
    assert store_check(api.deps.store, api.deps.registry)() == (True, "reading store answered")
    closed = EmbeddedStore(tmp_path / "closed.db")
    closed.close()
    ok, detail = store_check(closed, api.deps.registry)()
    assert not ok and "is closed" in detail
    ok, detail = tcp_check("broker", "127.0.0.1", 9, timeout_s=0.5)()
    assert not ok and detail.startswith("broker at 127.0.0.1:9 unreachable")


def test_metrics_in_prometheus_text(api: Api) -> None:
    response = api.client.get("/metrics", headers={"Authorization": f"Bearer {api.keys[Role.STAFF]}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE facilities_spool_depth gauge\nfacilities_spool_depth 7.0\n" in response.text
