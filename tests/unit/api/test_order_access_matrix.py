"""Every route on one work order × every role's key × whose order it is: each cell is the status written below.

Whose order: the caller's own team's (dispatched to `water`, the crew key's team), another team's (`electric`),
assigned to the caller by name (in team `electric`), or nobody's yet (no team, no assignee; this hub has no
alerts routing). The crew key has team `water`; the second crew key has none. A refused request changes
nothing: the order reads the same before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access.roles import Role
from api.app import create_app
from api.workorder_deps import WORK_ORDER_CONFLICTS
from facilities.hub import HUB_ROUTERS
from tests.unit.api.harness import CREW_TEAM, Api, running_api
from tests.unit.api.workorders_harness import PATH_TO
from workorders import service
from workorders.codes import CHINA
from workorders.lifecycle import Status
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority

ORDER = "/sites/{site_id}/work-orders/{code}"
OTHER_TEAM = "electric"


@dataclass(frozen=True)
class OrderSample:
    """A request on an order in `state` that succeeds with `status` for a caller allowed to make it."""

    state: Status
    action: str = ""  # the path after the order's; "" for the order itself
    method: str = "POST"
    json: dict[str, Any] | None = field(default=None, hash=False)


ORDER_SAMPLES: dict[tuple[str, str], OrderSample] = {
    ("GET", ORDER): OrderSample(Status.OPEN, method="GET"),
    ("POST", f"{ORDER}/acknowledge"): OrderSample(Status.OPEN, "acknowledge"),
    ("POST", f"{ORDER}/arrive"): OrderSample(Status.ACKNOWLEDGED, "arrive"),
    ("POST", f"{ORDER}/resolve"): OrderSample(Status.ON_SITE, "resolve", json={"resolution": "Fixed"}),
    ("POST", f"{ORDER}/close"): OrderSample(Status.RESOLVED, "close"),
    ("POST", f"{ORDER}/cancel"): OrderSample(Status.OPEN, "cancel", json={"reason": "Duplicate"}),
    ("POST", f"{ORDER}/assign"): OrderSample(Status.OPEN, "assign", json={"team": "night shift"}),
    ("POST", f"{ORDER}/comments"): OrderSample(Status.OPEN, "comments", json={"text": "On my way"}),
    ("POST", f"{ORDER}/follow-up"): OrderSample(Status.RESOLVED, "follow-up", json={"satisfaction": "satisfied"}),
}

OWNERSHIPS = ("own team", "other team", "assigned", "unclaimed")
CALLERS = ("admin", "staff", "crew", "crew without team", "fee_module")

# (own team, other team, assigned to the caller, unclaimed) for each caller, per route.
EVERYONE_BUT_FEES = {
    "admin": (200, 200, 200, 200), "staff": (200, 200, 200, 200), "crew": (200, 200, 200, 200),
    "crew without team": (200, 200, 200, 200), "fee_module": (403, 403, 403, 403),
}  # fmt: skip
FIELD_WORK = {
    "admin": (200, 200, 200, 200), "staff": (200, 200, 200, 200), "crew": (200, 403, 200, 200),
    "crew without team": (403, 403, 200, 200), "fee_module": (403, 403, 403, 403),
}  # fmt: skip
COMMENTS = {
    "admin": (201, 201, 201, 201), "staff": (201, 201, 201, 201), "crew": (201, 403, 201, 201),
    "crew without team": (403, 403, 201, 201), "fee_module": (403, 403, 403, 403),
}  # fmt: skip
SERVICE_CENTRE = {
    "admin": (200, 200, 200, 200), "staff": (200, 200, 200, 200), "crew": (403, 403, 403, 403),
    "crew without team": (403, 403, 403, 403), "fee_module": (403, 403, 403, 403),
}  # fmt: skip
FOLLOW_UP = {
    "admin": (201, 201, 201, 201), "staff": (201, 201, 201, 201), "crew": (403, 403, 403, 403),
    "crew without team": (403, 403, 403, 403), "fee_module": (403, 403, 403, 403),
}  # fmt: skip
EXPECTED: dict[tuple[str, str], dict[str, tuple[int, int, int, int]]] = {
    ("GET", ORDER): EVERYONE_BUT_FEES,
    ("POST", f"{ORDER}/acknowledge"): FIELD_WORK,
    ("POST", f"{ORDER}/arrive"): FIELD_WORK,
    ("POST", f"{ORDER}/resolve"): FIELD_WORK,
    ("POST", f"{ORDER}/comments"): COMMENTS,
    ("POST", f"{ORDER}/close"): SERVICE_CENTRE,
    ("POST", f"{ORDER}/cancel"): SERVICE_CENTRE,
    ("POST", f"{ORDER}/assign"): SERVICE_CENTRE,
    ("POST", f"{ORDER}/follow-up"): FOLLOW_UP,
}


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    name: str  # the key's name: how an order assigned to it names it


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app as the hub builds it: refused moves answer 409 (none of the samples is refused)."""
    with running_api(tmp_path_factory.mktemp("order-matrix")) as running:
        app = create_app(running.deps, routers=HUB_ROUTERS, conflicts=WORK_ORDER_CONFLICTS)
        with TestClient(app) as client:
            yield replace(running, app=app, client=client)


@pytest.fixture(scope="module")
def callers(api: Api) -> dict[str, Caller]:
    _, teamless = api.new_key(Role.CREW, "crew phone li")
    found = {role.value: Caller(api.as_role(role), f"{role.value} key") for role in Role}
    return {**found, "crew without team": Caller({"X-API-Key": teamless}, "crew phone li")}


def make_order(api: Api, state: Status, *, team: str | None, assignee: str | None) -> str:
    """An order in `state`, made through the service layer, whose team and assignee are the ones given."""
    clock, uow = api.clock, SqlAlchemyUnitOfWork(api.sessions)
    ref = service.create_resident_request(
        uow, site_id="lakeview", category=Category.LIGHTING, priority=Priority.LOW, title="Stairwell light out",
        description="", reporter="resident B1-0101", actor="clerk", clock=clock, tz=CHINA,
    )  # fmt: skip
    order = ref.order_id

    def place() -> None:  # last, or before the order leaves the active states (no dispatch after that)
        service.assign(uow, order_id=order, assignee=assignee, team=team, actor="clerk", clock=clock)

    placed = False
    for action in PATH_TO[state]:
        if action == "acknowledge":
            service.acknowledge(uow, order_id=order, actor="someone", clock=clock)  # sets an assignee: replaced
        elif action == "arrive":
            service.arrive(uow, order_id=order, actor="someone", clock=clock)
        else:
            place()
            placed = True
            service.resolve(uow, order_id=order, actor="someone", resolution="Bulb", clock=clock)
    if not placed:
        place()
    return ref.code


def ownership(caller: Caller, kind: str) -> dict[str, str | None]:
    return {
        "own team": {"team": CREW_TEAM, "assignee": None},
        "other team": {"team": OTHER_TEAM, "assignee": None},
        "assigned": {"team": OTHER_TEAM, "assignee": caller.name},
        "unclaimed": {"team": None, "assignee": None},
    }[kind]


def test_every_order_route_has_its_row() -> None:
    assert set(EXPECTED) == set(ORDER_SAMPLES)
    assert all(set(row) == set(CALLERS) for row in EXPECTED.values())


@pytest.mark.parametrize("kind", OWNERSHIPS)
@pytest.mark.parametrize("caller_name", CALLERS)
@pytest.mark.parametrize("route_key", sorted(ORDER_SAMPLES), ids=lambda k: f"{k[0]} {k[1]}")
def test_an_order_route_answers_each_caller_as_the_table_says(
    api: Api, callers: dict[str, Caller], route_key: tuple[str, str], caller_name: str, kind: str
) -> None:
    sample, caller = ORDER_SAMPLES[route_key], callers[caller_name]
    code = make_order(api, sample.state, **ownership(caller, kind))
    path = f"/sites/lakeview/work-orders/{code}" + (f"/{sample.action}" if sample.action else "")
    staff = api.as_role(Role.STAFF)
    before = api.client.get(f"/sites/lakeview/work-orders/{code}", headers=staff).json()

    response = api.client.request(sample.method, path, headers=caller.headers, json=sample.json)

    expected = EXPECTED[route_key][caller_name][OWNERSHIPS.index(kind)]
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["error"]["code"] == "forbidden"
        assert api.client.get(f"/sites/lakeview/work-orders/{code}", headers=staff).json() == before


def test_a_refusal_for_another_teams_order_says_whose_it_is(api: Api, callers: dict[str, Caller]) -> None:
    code = make_order(api, Status.OPEN, team=OTHER_TEAM, assignee="Master Zhang")

    answer = api.client.post(f"/sites/lakeview/work-orders/{code}/acknowledge", headers=callers["crew"].headers)

    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == (
        f"work order {code} belongs to team electric, assigned to Master Zhang; role 'crew' (team water) may use "
        "'work_orders:transition' only on orders of its own team, assigned to it, or not yet taken"
    )


def test_an_unclaimed_order_becomes_the_crew_keys_own_when_it_takes_it(api: Api, callers: dict[str, Caller]) -> None:
    teamless = callers["crew without team"]
    code = make_order(api, Status.OPEN, team=None, assignee=None)
    order = f"/sites/lakeview/work-orders/{code}"

    taken = api.client.post(f"{order}/acknowledge", headers=teamless.headers)
    assert (taken.status_code, taken.json()["assignee"]) == (200, "crew phone li")
    # Taken by the team-less key: the water team's key may no longer work it, the taker may.
    assert api.client.post(f"{order}/arrive", headers=callers["crew"].headers).status_code == 403
    assert api.client.post(f"{order}/arrive", headers=teamless.headers).status_code == 200


def test_a_dispatch_to_another_team_takes_the_order_from_the_crew_at_once(api: Api, callers: dict[str, Caller]) -> None:
    code = make_order(api, Status.ACKNOWLEDGED, team=CREW_TEAM, assignee=None)
    order = f"/sites/lakeview/work-orders/{code}"
    moved = api.client.post(f"{order}/assign", headers=api.as_role(Role.STAFF), json={"team": OTHER_TEAM})
    assert moved.status_code == 200

    assert api.client.post(f"{order}/arrive", headers=callers["crew"].headers).status_code == 403
    assert api.client.post(f"{order}/comments", headers=callers["crew"].headers, json={"text": "x"}).status_code == 403
