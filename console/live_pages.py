"""The live elevator board: each car's floor, direction, door, state, when it last reported and its open order.

The page is complete as served (no script needed); with JavaScript on, `live.js` reads `/console/live.json`
every few seconds and updates the cards in place, so a wall screen stays current without a reload. Only our
own script runs (no CDN). A car silent for more than three of its reporting intervals is shown offline.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from access.roles import Permission
from console.i18n import Words
from console.order_facts import car_now
from console.views import local
from console.web import app_deps, render, site_zone, staff_or_login, words_for
from workorders.lifecycle import ACTIVE_STATES
from workorders.queries import WorkOrderFilters, list_work_orders

router = APIRouter(prefix="/console", include_in_schema=False)
POLL_SECONDS = 5


@dataclass(frozen=True)
class CarCard:
    id: str
    name: str
    building: str
    floor: str
    direction: str  # up, down, none
    door: str
    state: str
    last_seen: str
    online: bool
    order: str


def _direction(request: Request, asset_id: str, state: str | None, now: datetime) -> str:
    """Up or down from the last two different floors of the last two minutes while moving; else none."""
    if state != "moving":
        return "none"
    deps = app_deps(request)
    try:
        samples = deps.store.history(deps.registry.get(asset_id), "floor", now - timedelta(minutes=2), now)
    except (
        Exception
    ):  # an asset gone from the site file or a store failure: a store failure shows no arrow, not a broken page
        return "none"
    floors = [s.value for s in samples if isinstance(s.value, int | float)]
    changes = [b - a for a, b in itertools.pairwise(floors) if b != a]
    return "none" if not changes else ("up" if changes[-1] > 0 else "down")


def cards(request: Request) -> list[CarCard]:
    deps, words, zone = app_deps(request), words_for(request), site_zone(request)
    now = deps.clock.now()
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=WorkOrderFilters(statuses=ACTIVE_STATES), limit=1000, offset=0
        )
    orders: dict[str, str] = {}
    for order in found.items:
        if order.asset_id and order.asset_id not in orders:
            orders[order.asset_id] = order.code
    shown = []
    for car in sorted(deps.site.elevators.values(), key=lambda e: (e.building, e.id)):
        building = deps.site.buildings.get(car.building)
        now_at = car_now(deps.store, deps.registry, car.id)
        online = now_at is not None and now - now_at.seen_at <= timedelta(seconds=3 * car.expected_interval_s)
        state = now_at.state if now_at is not None else None
        shown.append(
            CarCard(
                id=car.id,
                name=car.name or car.id,
                building=(building.name or building.id) if building is not None else car.building,
                floor=str(now_at.floor) if now_at is not None and now_at.floor is not None else "—",
                direction=_direction(request, car.id, state, now),
                door=_word(words, "door_", now_at.door if now_at else None),
                state=_word(words, "state_", state),
                last_seen=local(now_at.seen_at, zone) if now_at is not None else "—",
                online=online,
                order=orders.get(car.id, ""),
            )
        )
    return shown


def _word(words: Words, prefix: str, value: str | None) -> str:
    if not value:
        return "—"
    return words.t(prefix + value) if words.has(prefix + value) else value


@router.get("/live")
def live_page(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.READ_READINGS)
    if isinstance(viewer, Response):
        return viewer
    return render(request, "live.html", viewer=viewer, cars=cards(request), poll=POLL_SECONDS)


@router.get("/live.json")
def live_json(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.READ_READINGS)
    if isinstance(viewer, Response):  # sent to sign in, or refused: the script keeps the last values
        return viewer
    words = words_for(request)
    body = {
        "cars": [asdict(card) for card in cards(request)],
        "words": {"online": words.t("online"), "offline": words.t("offline")},
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
