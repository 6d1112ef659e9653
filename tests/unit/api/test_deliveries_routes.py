"""Alert deliveries over HTTP: status and attempts as the outbox holds them, newest first, per site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from access.roles import Role
from alerts.orm import OutboxRow
from tests.unit.api.workorders_harness import OrdersApi, orders_api

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def row(n: int, *, site: str = "lakeview", status: str = "delivered", attempts: int = 1) -> OutboxRow:
    return OutboxRow(
        idempotency_key=f"key-{site}-{n}", site_id=site, work_order_id=uuid.uuid4(),
        work_order_code=f"WO-20261126-{n:04d}", kind="alert", level=0, team="elevator-crew", personal=False,
        channel="elevator-wecom",
        recipients=[{"id": "wang"}], locale="zh-CN", title=f"困人 {n}", body="…", facts={}, status=status,
        attempts=attempts, created_at=T0 + timedelta(minutes=n), next_attempt_at=None,
    )  # fmt: skip


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdersApi]:
    with orders_api(tmp_path_factory.mktemp("deliveries")) as api:
        with api.base.sessions() as session:
            session.add_all([row(1), row(2, status="failed", attempts=12), row(3, status="pending", attempts=2)])
            session.add(row(4, site="other-site"))
            session.commit()
        yield api


def test_deliveries_newest_first_with_attempts(api: OrdersApi) -> None:
    status, body = api.call(Role.CREW, "GET", "/sites/lakeview/alert-deliveries")
    assert status == 200
    assert [(d["work_order_code"], d["status"], d["attempts"]) for d in body] == [
        ("WO-20261126-0003", "pending", 2),
        ("WO-20261126-0002", "failed", 12),
        ("WO-20261126-0001", "delivered", 1),
    ]
    assert body[0]["recipients"] == ["wang"]


def test_deliveries_filtered_by_status(api: OrdersApi) -> None:
    status, body = api.call(Role.STAFF, "GET", "/sites/lakeview/alert-deliveries?status=failed")
    assert status == 200
    assert [d["work_order_code"] for d in body] == ["WO-20261126-0002"]
    assert api.call(Role.STAFF, "GET", "/sites/lakeview/alert-deliveries?status=lost")[0] == 422
    assert api.call(Role.FEE_MODULE, "GET", "/sites/lakeview/alert-deliveries")[0] == 403
