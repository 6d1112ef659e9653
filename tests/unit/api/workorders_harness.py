"""The API with the work-order conflicts wired as the hub wires them, and helpers that make orders in any state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from access.roles import Role
from api.app import create_app
from api.ports import AlarmSource
from api.workorder_deps import WORK_ORDER_CONFLICTS
from core.clock import FakeClock
from tests.unit.api.harness import Api, running_api
from workorders import service
from workorders.codes import CHINA
from workorders.events import WorkOrderEvent as Event
from workorders.lifecycle import Status
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority

ORDERS = "/sites/lakeview/work-orders"

# The API calls that lead from open into each state.
PATH_TO: dict[Status, tuple[str, ...]] = {
    Status.OPEN: (),
    Status.ACKNOWLEDGED: ("acknowledge",),
    Status.ON_SITE: ("acknowledge", "arrive"),
    Status.RESOLVED: ("acknowledge", "arrive", "resolve"),
    Status.CLOSED: ("acknowledge", "arrive", "resolve", "close"),
    Status.CANCELLED: ("cancel",),
}
# The body each action needs.
BODIES: dict[str, dict[str, str]] = {
    "resolve": {"resolution": "Replaced the washer"},
    "cancel": {"reason": "Duplicate"},
}


@dataclass
class OrdersApi:
    """A client over the work-order routes; `events` holds what the routes published."""

    base: Api
    client: TestClient
    events: list[Event] = field(default_factory=list)

    @property
    def clock(self) -> FakeClock:
        return self.base.clock

    def call(self, role: Role | None, method: str, path: str, json: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = self.base.as_role(role) if role is not None else {}
        response = self.client.request(method, path, headers=headers, json=json)
        return response.status_code, response.json()

    def create(self, role: Role = Role.STAFF, /, **fields: Any) -> str:
        """A new order (plumbing, 'Dripping tap' unless told otherwise); returns its code."""
        status, body = self.call(role, "POST", ORDERS, {"category": "plumbing", "title": "Dripping tap", **fields})
        assert status == 201, body
        code: str = body["code"]
        return code

    def act(
        self, code: str, action: str, role: Role = Role.CREW, json: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        return self.call(role, "POST", f"{ORDERS}/{code}/{action}", json if json is not None else BODIES.get(action))

    def order_in(self, status: Status, team: str | None = None, **fields: Any) -> str:
        """A new order moved into `status` through the API by staff; dispatched to `team` first if given."""
        code = self.create(**fields)
        if team is not None:
            answer = self.act(code, "assign", Role.STAFF, {"team": team})
            assert answer[0] == 200, answer
        for action in PATH_TO[status]:
            answer = self.act(code, action, Role.STAFF)
            assert answer[0] == 200, answer
        return code


@contextmanager
def orders_api(
    folder: Path, *, database_url: str | None = None, alarms: AlarmSource | None = None
) -> Iterator[OrdersApi]:
    """`running_api` whose app also maps work-order conflicts to 409 and records published events."""
    with running_api(folder, database_url=database_url) as base:
        events: list[Event] = []
        deps = replace(base.deps, alarms=alarms, work_order_events=events.append)
        app = create_app(deps, conflicts=WORK_ORDER_CONFLICTS)
        with TestClient(app) as client:
            yield OrdersApi(replace(base, app=app, client=client, deps=deps), client, events)


def order_in(api: Api, status: Status, *, site_id: str = "lakeview") -> str:
    """An order in `status`, made through the service layer (for the auth matrix, which uses the plain app)."""
    clock, uow = api.clock, SqlAlchemyUnitOfWork(api.sessions)
    ref = service.create_resident_request(
        uow, site_id=site_id, category=Category.LIGHTING, priority=Priority.LOW, title="Stairwell light out",
        description="", reporter="resident B1-0101", actor="clerk", clock=clock, tz=CHINA,
    )  # fmt: skip
    moves = {
        "acknowledge": lambda: service.acknowledge(uow, order_id=ref.order_id, actor="crew", clock=clock),
        "arrive": lambda: service.arrive(uow, order_id=ref.order_id, actor="crew", clock=clock),
        "resolve": lambda: service.resolve(uow, order_id=ref.order_id, actor="crew", resolution="Bulb", clock=clock),
        "close": lambda: service.close(uow, order_id=ref.order_id, actor="clerk", clock=clock),
        "cancel": lambda: service.cancel(uow, order_id=ref.order_id, actor="clerk", reason="Dup", clock=clock),
    }
    for action in PATH_TO[status]:
        moves[action]()
    return ref.code
