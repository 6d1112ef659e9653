"""Every console action × every kind of visitor: each cell is the outcome written below (docs/permissions.md).

Visitors: nobody, an admin, the service centre (staff), a crew member of the order's own team (`wang`,
elevator-crew: the alerts routing sends elevator orders there), a crew member of another team (`zhao`,
plumbing-crew), the holder of an alert's link to this order, and the holder of a link to another order.
Outcomes: `ok` (done: the page, or the change made), `login` (sent to sign in, nothing done), `403` (refused,
nothing done). The rows come from the console's own routes, so a new page without a row fails
`test_every_console_route_has_a_row`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.testclient import TestClient

from console.sessions import COOKIE
from console.users import create_user
from core.site_loader import load_site
from maintenance.config import ItemKind
from maintenance.loading import PlannedTask, load_maintenance
from maintenance.orders import Occurrence, open_occurrence
from maintenance.orm import Trigger
from maintenance.records import ItemResult, complete
from maintenance.reports import OccurrenceView, occurrence, occurrences
from patrols.orm import PatrolRow
from patrols.service import record_visit
from tests.conftest import EXAMPLE_SITE
from tests.support.console_rig import MAINTENANCE_FILE, NOW, PASSWORD, ConsoleRig, console_rig, login_data
from tests.support.patrols import firing
from workorders import service
from workorders.domain import WorkOrder
from workorders.lifecycle import Status
from workorders.messagebus import build_bus
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import run_in_transaction
from workorders.values import Category, Priority

pytestmark = pytest.mark.integration

BASE = "http://hub.test"
VISITORS = ("nobody", "admin", "staff", "crew own team", "crew other team", "link to it", "link to another")
ORDER = "/console/orders/{code}"
TASK = "/console/maintenance/{occurrence_id}"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9"
ACCOUNTS = {"admin": "root", "staff": "lina", "crew own team": "wang", "crew other team": "zhao"}
REQUEST = {
    "kind": "repair", "unit": "B1-0101", "category": "plumbing", "priority": "normal", "description": "厨房漏水",
    "contact_name": "王女士", "contact_phone": "139 0000 1111", "preferred_time": "",
}  # fmt: skip
SWAP = {"meter": "B1-0101-W", "at": "2026-10-20T10:00", "old_final": "540", "new_initial": "0", "note": "矩阵"}
ADOPT = {"asset_id": "NEW-E", "kind": "electricity", "place": "garage"}
WINDOW = {"asset": "B1-L1", "starts": "2026-12-06T09:00", "ends": "2026-12-06T12:00", "reason": "季度保养"}
MAINTENANCE = load_maintenance(MAINTENANCE_FILE, load_site(EXAMPLE_SITE))
READING = {"meter": "B1-0101-W", "at": "2026-10-31T23:50", "value": "280.5", "note": "矩阵"}
PATROL = "/console/patrols/{patrol_id}"
GARAGE_OK = {"code": "GARAGE", "item-0": "ok", "item-1": "ok", "item-2": "ok", "note": ""}
LIGHTS = "lights-left-on|B1-CORRIDOR-LIGHT"


@dataclass(frozen=True)
class Row:
    """One console action: the state its order must be in, the request, and the outcome for each visitor."""

    state: Status | None  # None: the action is not on an order
    method: str
    path: str
    expected: tuple[str, ...]  # one per VISITORS
    form: Callable[[], dict[str, str]] | None = None
    changed: Callable[[WorkOrder], bool] | None = None  # how a done POST shows on the order
    occurrence: str | None = None  # a maintenance task made for each request: "open" or "contractor-done"
    recorded: Callable[[OccurrenceView], bool] | None = None  # how a done POST shows on that task


def _nonce() -> str:
    return uuid.uuid4().hex


def _moved(to: Status) -> Callable[[WorkOrder], bool]:
    return lambda order: order.status is to


def _act(action: str, note: str = "") -> Callable[[], dict[str, str]]:
    return lambda: {"action": action, "note": note}


ALL_OK = ("ok",) * 7
#          nobody   admin staff crew-own crew-other link-it link-other
FIELD = ("login", "ok", "ok", "ok", "403", "ok", "403")
OFFICE = ("login", "ok", "ok", "403", "403", "403", "403")
SIGNED_IN = ("login", "ok", "ok", "ok", "ok", "login", "login")
DESK = ("login", "ok", "ok", "403", "403", "login", "login")
WALKER = ("login", "ok", "ok", "ok", "403", "login", "login")  # a patrol or a maintenance task of their own
ROWS: dict[str, Row] = {
    "home": Row(None, "GET", "/console", ALL_OK),  # a redirect: to sign in, or to my orders
    "sign-in page": Row(None, "GET", "/console/login", ALL_OK),
    "sign in": Row(None, "POST", "/console/login", ALL_OK),  # with the form's token: see test_sign_in_security
    "sign out": Row(None, "POST", "/console/logout", ALL_OK),
    "language": Row(None, "GET", "/console/lang", ALL_OK),
    "stylesheet": Row(None, "GET", "/console/static/{name}", ALL_OK),
    "my orders": Row(None, "GET", "/console/my", SIGNED_IN),
    "all orders": Row(None, "GET", "/console/orders", SIGNED_IN),
    "statistics": Row(None, "GET", "/console/stats", DESK),
    "intake form": Row(None, "GET", "/console/requests/new", DESK),
    "register a request": Row(None, "POST", "/console/requests", DESK, lambda: REQUEST | {"nonce": _nonce()}),
    "meters page": Row(None, "GET", "/console/meters", DESK),
    "record a meter swap": Row(None, "POST", "/console/meters/replacements", DESK, lambda: dict(SWAP)),
    "enter a manual reading": Row(None, "POST", "/console/meters/readings", DESK, lambda: dict(READING)),
    "devices page": Row(None, "GET", "/console/devices", SIGNED_IN),
    "a device's latest readings": Row(None, "GET", "/console/devices/{asset_id}", SIGNED_IN),
    "adopt a device": Row(None, "POST", "/console/devices/adopt", DESK, lambda: dict(ADOPT)),
    "API docs (Swagger UI)": Row(None, "GET", "/console/docs", SIGNED_IN),
    "API docs (ReDoc)": Row(None, "GET", "/console/redoc", SIGNED_IN),
    "API schema for the docs": Row(None, "GET", "/console/openapi.json", SIGNED_IN),
    "API docs' scripts": Row(None, "GET", "/console/docs/static/{name}", ALL_OK),
    "alarms page": Row(None, "GET", "/console/alarms", SIGNED_IN),
    "acknowledge an alarm": Row(None, "POST", "/console/alarms/acknowledge", SIGNED_IN, lambda: {"alarm": "none"}),
    "shelve an alarm": Row(
        None, "POST", "/console/alarms/shelve", DESK, lambda: {"alarm": "none", "hours": "2", "reason": "年检"}
    ),
    "record a maintenance window": Row(None, "POST", "/console/maintenance-windows", DESK, lambda: dict(WINDOW)),
    "export alarms (CSV, Excel)": Row(None, "GET", "/console/export/alarms.{fmt}", SIGNED_IN),
    "export work orders (CSV, Excel)": Row(None, "GET", "/console/export/orders.{fmt}", SIGNED_IN),
    "live elevator board": Row(None, "GET", "/console/live", SIGNED_IN),
    "live elevator board's data": Row(None, "GET", "/console/live.json", SIGNED_IN),
    "due maintenance": Row(None, "GET", "/console/maintenance", SIGNED_IN),
    "maintenance task page": Row(None, "GET", TASK, SIGNED_IN, occurrence="open"),
    "maintenance photo": Row(None, "GET", "/console/maintenance/photos/{key}", SIGNED_IN),
    "asset's maintenance records": Row(None, "GET", "/console/assets/{asset_id}/maintenance", SIGNED_IN),
    "asset's maintenance CSV": Row(None, "GET", "/console/assets/{asset_id}/maintenance.csv", SIGNED_IN),
    "record a checklist": Row(
        None,
        "POST",
        f"{TASK}/complete",
        WALKER,  # an elevator task: the elevator crew's, not the plumber's
        lambda: passing_form(),
        occurrence="open",
        recorded=lambda view: view.status == "done",
    ),
    "sign a contractor's visit off": Row(
        None,
        "POST",
        f"{TASK}/sign-off",
        DESK,
        occurrence="contractor-done",
        recorded=lambda view: view.signed_off_by is not None,
    ),
    # Patrols (巡检): pages on a patrol the elevator crew member wang walks; zhao is another walker.
    "patrol routes": Row(None, "GET", "/console/patrols", SIGNED_IN),
    "start a patrol": Row(None, "POST", "/console/patrols/start", SIGNED_IN, lambda: {"route": "repair-plant"}),
    "checkpoint labels (PDF)": Row(None, "GET", "/console/patrols/labels.pdf", DESK),
    "patrol records (CSV)": Row(None, "GET", "/console/patrols/records.csv", DESK),
    "a checkpoint's QR link": Row(None, "GET", "/console/patrols/at/{checkpoint}", SIGNED_IN),
    "a patrol's page": Row(None, "GET", PATROL, WALKER),
    "record a checkpoint": Row(None, "POST", f"{PATROL}/visits", WALKER, lambda: dict(GARAGE_OK)),
    "answer the sensors": Row(
        None, "POST", f"{PATROL}/sensors", WALKER, lambda: {"key": LIGHTS, "kind": "lights_on", "verdict": "confirmed"}
    ),
    "complete a patrol": Row(None, "POST", f"{PATROL}/complete", WALKER),
    "a patrol's photo": Row(None, "GET", f"{PATROL}/photos/{{key}}", WALKER),
    "monthly reports (月度小结)": Row(None, "GET", "/console/reports", DESK),
    "monthly report as PDF": Row(None, "GET", "/console/reports/{period}.pdf", DESK),
    "monthly report as Excel": Row(None, "GET", "/console/reports/{period}.xlsx", DESK),
    "company overview (公司总览)": Row(None, "GET", "/console/portfolio", DESK),
    "order page": Row(Status.OPEN, "GET", ORDER, ("login", "ok", "ok", "ok", "ok", "ok", "403")),
    "acknowledge": Row(Status.OPEN, "POST", f"{ORDER}/act", FIELD, _act("acknowledge"), _moved(Status.ACKNOWLEDGED)),
    "arrive": Row(Status.ACKNOWLEDGED, "POST", f"{ORDER}/act", FIELD, _act("arrive"), _moved(Status.ON_SITE)),
    "resolve": Row(Status.ON_SITE, "POST", f"{ORDER}/act", FIELD, _act("resolve", "换导靴"), _moved(Status.RESOLVED)),
    "comment": Row(
        Status.OPEN,
        "POST",
        f"{ORDER}/comment",
        FIELD,
        lambda: {"text": "带备件", "nonce": _nonce()},
        lambda order: any(c.text == "带备件" for c in order.comments),
    ),
    "close": Row(Status.RESOLVED, "POST", f"{ORDER}/act", OFFICE, _act("close"), _moved(Status.CLOSED)),
    "cancel": Row(Status.OPEN, "POST", f"{ORDER}/act", OFFICE, _act("cancel", "误报"), _moved(Status.CANCELLED)),
    # Dispatch and the follow-up call take no link: a link holder is sent to sign in.
    "dispatch": Row(
        Status.OPEN,
        "POST",
        f"{ORDER}/assign",
        ("login", "ok", "ok", "403", "403", "login", "login"),
        lambda: {"to": "plumbing-crew:", "nonce": _nonce(), "cross_trade": "yes"},
        lambda order: order.team == "plumbing-crew",
    ),
    "follow-up": Row(
        Status.RESOLVED,
        "POST",
        f"{ORDER}/follow-up",
        ("login", "ok", "ok", "403", "403", "login", "login"),
        lambda: {"satisfaction": "satisfied", "nonce": _nonce()},
        lambda order: len(order.follow_ups) == 1,
    ),
}
PATH_TO = {
    Status.OPEN: (),
    Status.ACKNOWLEDGED: ("acknowledge",),
    Status.ON_SITE: ("acknowledge", "arrive"),
    Status.RESOLVED: ("acknowledge", "arrive", "resolve"),
}


def _half_monthly() -> PlannedTask:
    return next(t for t in MAINTENANCE.tasks if t.key == "elevator-own/half-monthly/B1-L1")


def passing_form() -> dict[str, str]:
    """Every item of B1-L1's half-monthly checklist passed, every measured value inside its limits."""
    form: dict[str, str] = {}
    for item in _half_monthly().task.items:
        if item.kind is ItemKind.CHECK:
            form[f"ok:{item.id}"] = "pass"
        elif item.kind is ItemKind.MEASURE:
            form[f"value:{item.id}"] = str(item.min if item.min is not None else item.max)
    return form


@dataclass
class Hub:
    rig: ConsoleRig
    browsers: dict[str, TestClient]
    photo_key: str = ""
    days: itertools.count[int] = field(default_factory=itertools.count)

    def occurrence(self, kind: str) -> int:
        """A new maintenance task of B1-L1 (open), or of B2-L1 done by the contractor and waiting for sign-off."""
        runtime = self.rig.config.maintenance
        assert runtime is not None
        key = "elevator-own/half-monthly/B1-L1" if kind == "open" else "elevator-xunda/quarterly/B2-L1"
        planned = runtime.maintenance.task(key)
        assert planned is not None
        due = date(2027, 1, 1) + timedelta(days=next(self.days))
        occ = Occurrence(
            site_id=self.rig.site.id, task_key=key, plan_id=planned.plan.id, task_id=planned.task.id,
            asset=planned.asset, trigger=Trigger.CALENDAR, due_on=due, title="保养", description="",
            team=planned.team or "xunda-elevator", contractor_id=planned.contractor.id if planned.contractor else None,
        )  # fmt: skip
        uow = self.rig.uow()
        zone = runtime.zone
        run_in_transaction(uow, lambda: open_occurrence(uow, occ, now=self.rig.clock.now(), tz=zone))
        [view] = [v for v in occurrences(self.rig.sessions, self.rig.site.id) if v.task_key == key and v.due_on == due]
        if kind == "contractor-done":
            results = {i.id: ItemResult(i.id, ok=True) for i in planned.task.items if i.kind is ItemKind.CHECK}
            bus = build_bus(self.rig.uow, clock=self.rig.clock, tz=zone)
            complete(bus, runtime.maintenance, view.id, results, actor="desk", clock=self.rig.clock, tz=zone,
                     contractor_person="李工")  # fmt: skip
        return view.id

    def task(self, occurrence_id: int) -> OccurrenceView | None:
        return occurrence(self.rig.sessions, self.rig.site.id, occurrence_id)

    def order(self, status: Status) -> WorkOrder:
        """A new elevator order (the alerts routing gives it to the elevator crew) moved into `status`."""
        uow, clock = self.rig.uow(), self.rig.clock
        ref = service.create_resident_request(
            uow, site_id=self.rig.site.id, category=Category.ELEVATOR, priority=Priority.HIGH, title="电梯异响",
            description="", reporter="resident", actor="desk", clock=clock,
        )  # fmt: skip
        for action in PATH_TO[status]:
            if action == "resolve":
                service.resolve(uow, order_id=ref.order_id, actor="desk", resolution="ok", clock=clock)
            else:
                getattr(service, action)(uow, order_id=ref.order_id, actor="desk", clock=clock)
        found = self.load(ref.code)
        assert found is not None
        return found

    def load(self, code: str) -> WorkOrder | None:
        with self.rig.sessions() as session:
            return SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=self.rig.site.id, code=code)

    photo_key: str = ""  # the photo every matrix patrol's PUMP visit carries

    def patrol(self, *, walked: bool) -> str:
        """A new patrol of the plant round by wang; `walked`: every checkpoint already recorded."""
        rig, book = self.rig, self.rig.config.patrols
        patrol_id = uuid.uuid4()
        with rig.sessions() as session, session.begin():
            now = rig.clock.now()
            session.add(
                PatrolRow(id=patrol_id, site_id=rig.site.id, route_id="repair-plant", started_by="王师傅 (wang)",
                          slot_at=now, started_at=now, completed_at=None, note="")
            )  # fmt: skip
        for code in book.routes["repair-plant"].checkpoints if walked else ("PUMP",):
            results = {item: "ok" for item in book.checkpoints[code].items}
            record_visit(rig.sessions, book, patrol_id, code=code, results=results, note="", by="王师傅 (wang)",
                         clock=rig.clock, open_order=None, photos=(self.photo_key,))  # fmt: skip
        return str(patrol_id)

    def token(self, code: str) -> str:
        return self.rig.link_for(code, "wang").split("k=", 1)[1]

    def csrf(self, visitor: str) -> str | None:
        claims = self.rig.config.sessions.read(self.browsers[visitor].cookies.get(COOKIE), now=self.rig.clock.now())
        return None if claims is None else claims.csrf


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder: Path = tmp_path_factory.mktemp("console-matrix")
    with console_rig(folder) as rig:
        with rig.sessions() as session:
            create_user(session, username="root", display_name="管理员", role="admin", password=PASSWORD, team=None,
                        now=NOW)  # fmt: skip
            session.commit()
        browsers = {visitor: TestClient(rig.app, base_url=BASE) for visitor in VISITORS}
        for visitor, username in ACCOUNTS.items():
            form = login_data(browsers[visitor], username=username, password=PASSWORD)
            assert browsers[visitor].post("/console/login", data=form, follow_redirects=False).status_code == 303
        firing(rig.sessions, rig.site.id, "lights-left-on", "B1-CORRIDOR-LIGHT", NOW)
        assert rig.config.maintenance is not None and rig.config.photos is rig.config.maintenance.photos
        photo_key = rig.config.maintenance.photos.put(PHOTO, declared_type="image/jpeg").key
        yield Hub(rig, browsers, photo_key)


def console_routes(hub: Hub) -> set[tuple[str, str]]:
    """(method, path) of every console page, included routers flattened as `api.deps.route_permissions` does."""
    flatten: Callable[[Any], Iterable[Any]] = getattr(fastapi.routing, "iter_route_contexts", iter)
    return {
        (method, route.path)
        for route in flatten(hub.rig.app.routes)
        if route.path.startswith("/console")
        for method in route.methods or ()
    }


def test_every_console_route_has_a_row(hub: Hub) -> None:
    assert {(row.method, row.path) for row in ROWS.values()} == console_routes(hub)
    assert all(len(row.expected) == len(VISITORS) for row in ROWS.values())


def snapshot(order: WorkOrder | None) -> tuple[Any, ...]:
    assert order is not None
    return (order.status, order.team, order.assignee, len(order.comments), len(order.follow_ups), len(order.audit))


def request_for(
    hub: Hub, row: Row, visitor: str, code: str | None, other_code: str | None, occurrence_id: int | None = None
) -> httpx.Response:
    """The visitor's request for `row`: signed-in visitors send their session's CSRF token, link holders their
    link's token (for this order, or for another), as the console's own forms do."""
    browser = hub.browsers[visitor]
    name = "swagger-init.js" if "/docs/" in row.path else "console.css"
    patrol = hub.patrol(walked=row.path.endswith("/complete")) if "{patrol_id}" in row.path else ""
    path = row.path.format(code=code, name=name, fmt="xlsx" if visitor == "staff" else "csv",
                           occurrence_id=occurrence_id, key=hub.photo_key, asset_id="B1-L1",
                           patrol_id=patrol, period="2026-10", checkpoint="GARAGE")  # fmt: skip
    if row.path == "/console/login":  # whoever asks, the sign-in form signs lina in
        fresh = TestClient(hub.rig.app, base_url=BASE)
        answer: httpx.Response = fresh.post(
            path, data=login_data(fresh, username="lina", password=PASSWORD), follow_redirects=False
        )
        return answer
    link = {"link to it": code, "link to another": other_code}.get(visitor)
    if row.method == "GET":
        query = {"to": "en", "next": "/console"} if row.path == "/console/lang" else {}
        query |= {"month": "2026-11"} if row.path.endswith("records.csv") else {}
        query |= {"k": hub.token(link)} if link else {}
        answer = browser.get(path, params=query, follow_redirects=False)
        return answer
    fields = row.form() if row.form is not None else {}
    fields |= {"k": hub.token(link)} if link else {}
    csrf = hub.csrf(visitor)
    fields |= {"csrf": csrf} if csrf is not None else {}
    answer = browser.post(path, data=fields, follow_redirects=False)
    return answer


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", [name for name in ROWS if name not in {"sign out"}])
def test_a_console_action_answers_each_visitor_as_the_table_says(hub: Hub, name: str, visitor: str) -> None:
    row = ROWS[name]
    order = hub.order(row.state) if row.state is not None else None
    other = hub.order(Status.OPEN) if visitor == "link to another" else None
    code = order.code if order is not None else None
    before = snapshot(hub.load(code)) if code is not None else None
    task = hub.occurrence(row.occurrence) if row.occurrence is not None else None
    task_before = hub.task(task) if task is not None else None

    answer = request_for(hub, row, visitor, code, other.code if other is not None else None, task)

    expected = row.expected[VISITORS.index(visitor)]
    location = answer.headers.get("location", "")
    if expected == "login":
        assert (answer.status_code, location.split("?")[0]) == (303, "/console/login"), answer.text[:300]
    elif expected == "403":
        assert answer.status_code == 403, answer.text[:300]
    else:
        assert answer.status_code in (200, 303), answer.text[:300]
        assert not location.startswith("/console/login") or row.path in ("/console", "/console/logout")
    if code is not None and row.changed is not None:
        after = hub.load(code)
        assert after is not None
        if expected == "ok":
            assert row.changed(after), name
        else:
            assert snapshot(after) == before  # refused: nothing changed, nothing audited
    if task is not None and row.recorded is not None:
        view = hub.task(task)
        assert view is not None
        assert row.recorded(view) if expected == "ok" else view == task_before, name


@pytest.mark.parametrize("visitor", VISITORS)
def test_signing_out_answers_each_visitor_as_the_table_says(hub: Hub, visitor: str) -> None:
    """In a session of its own (signing out ends it), so the other cells keep theirs."""
    browser = TestClient(hub.rig.app, base_url=BASE)
    username = ACCOUNTS.get(visitor)
    if username is not None:
        browser.post("/console/login", data=login_data(browser, username=username, password=PASSWORD))
    claims = hub.rig.config.sessions.read(browser.cookies.get(COOKIE), now=hub.rig.clock.now())
    data = {"csrf": claims.csrf} if claims is not None else {}

    answer = browser.post("/console/logout", data=data, follow_redirects=False)

    assert ROWS["sign out"].expected[VISITORS.index(visitor)] == "ok"
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    assert browser.get("/console/my", follow_redirects=False).headers["location"].startswith("/console/login")
