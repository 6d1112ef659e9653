"""`/health` (open, 200 or 503 with each check) and `/metrics` (Prometheus text, admin and staff)."""

from __future__ import annotations

import threading
from pathlib import Path

from access.roles import Role
from api.health_checks import database_check, store_check, tcp_check
from storage.database import make_engine, session_factory
from storage.embedded import EmbeddedStore
from tests.unit.api.harness import Api, running_api


def test_healthy_when_every_check_passes(tmp_path: Path) -> None:
    checks = {"broker": lambda: (True, "connected"), "store": lambda: (True, "answered")}
    with running_api(tmp_path, health_checks=checks) as api:
        response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"broker": {"ok": True, "detail": "connected"}, "store": {"ok": True, "detail": "answered"}},
    }


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
    finally:
        release.set()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "broker": {"ok": False, "detail": "check failed: ConnectionRefusedError: port 1883"},
            "store": {"ok": False, "detail": "no answer within 1 s"},
            "database": {"ok": False, "detail": "locked"},
            "spool": {"ok": True, "detail": "ok"},
        },
    }


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
