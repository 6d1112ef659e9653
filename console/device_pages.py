"""The devices page (issue 19): every device online/offline with its last report, battery, signal and open alarms,
filtered by building, kind and state (also issue 20's live board); discovered devices with a form to adopt one.

Viewing needs `site:read`; adopting needs `devices:adopt` (admin, staff) and writes the site file and reloads, as
`POST /devices/adopt` does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from access.roles import Permission
from collectors.mqtt.discovered import DiscoveryBook, asset_availability
from console.access import Viewer
from console.device_words import DEVICE_WORDS
from console.web import FormText, OptionalText, app_deps, csrf_ok, forbidden, render, site_zone, staff_or_login
from console.web import words_for as _words
from core.config_files import ConfigError
from core.inventory import Adoption, DeviceState, LastSeen, inventory
from rules.state_store import SqlRuleStateStore

router = APIRouter(prefix="/console", include_in_schema=False)
MAX_FILTER = 64


@router.get("/devices")
def devices_page(request: Request, building: str = "", kind: str = "", state: str = "", done: str = "") -> Response:
    viewer = staff_or_login(request, Permission.READ_SITE)
    if isinstance(viewer, Response):
        return viewer
    filters = {"building": building[:MAX_FILTER], "kind": kind[:MAX_FILTER], "state": state[:MAX_FILTER]}
    return _page(request, viewer, filters=filters, error="", done=done == "adopted")


def _page(request: Request, viewer: Viewer, *, filters: dict[str, str], error: str, done: bool) -> HTMLResponse:
    deps = app_deps(request)
    with deps.session_factory() as session:
        bind = session.get_bind()
    alarms: dict[str, list[str]] = {}
    for alarm in SqlRuleStateStore(bind if isinstance(bind, Engine) else bind.engine, deps.site.id).open_alarms():
        alarms.setdefault(alarm.asset_id, []).append(alarm.rule_id)
    seen = getattr(deps, "last_seen", None) or LastSeen()
    book = getattr(deps, "discovery", None) or DiscoveryBook()
    available = asset_availability(book, deps.site.mqtt_mappings)
    rows = inventory(deps.site, deps.registry, seen, deps.clock.now(), alarms=alarms, available=available)
    zone = site_zone(request)
    shown = [
        (row, row.last_seen.astimezone(zone).strftime("%m-%d %H:%M") if row.last_seen else "")
        for row in rows
        if (not filters["building"] or row.building == filters["building"])
        and (not filters["kind"] or row.kind == filters["kind"])
        and (not filters["state"] or row.state.value == filters["state"])
    ]
    return render(
        request, "devices.html", 422 if error else 200, viewer=viewer, d=DEVICE_WORDS[_words(request).lang],
        rows=shown, filters=filters, buildings=sorted(deps.site.buildings), kinds=sorted({r.kind for r in rows}),
        states=[s.value for s in DeviceState], entities=[(e, book.online(e)) for e in book.entities()],
        may_adopt=viewer.may(Permission.ADOPT_DEVICES), areas=sorted(deps.site.areas), error=error, done=done,
    )  # fmt: skip


@router.post("/devices/adopt")
def adopt_device(
    request: Request,
    asset_id: FormText = "",
    kind: FormText = "",
    place: FormText = "",
    unique_id: OptionalText = None,
    name: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    viewer = staff_or_login(request, Permission.ADOPT_DEVICES)
    if isinstance(viewer, Response):
        return viewer
    if not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    deps = app_deps(request)
    adopter = getattr(deps, "device_adopter", None)
    place = place.strip()[:MAX_FILTER]
    in_unit = place in deps.site.units
    adoption = Adoption(
        asset_id=asset_id.strip()[:MAX_FILTER], kind=kind.strip()[:MAX_FILTER], unit=place if in_unit else None,
        area=None if in_unit else place, name=(name or "").strip()[:128] or None,
    )  # fmt: skip
    empty = {"building": "", "kind": "", "state": ""}
    if adopter is None:
        return _page(request, viewer, filters=empty, error="no hub runs in this process", done=False)
    try:
        adopter(adoption, (unique_id or "").strip()[:256] or None)
    except KeyError:
        return _page(request, viewer, filters=empty, error=f"no discovered entity {unique_id!r}", done=False)
    except ConfigError as exc:
        return _page(request, viewer, filters=empty, error=str(exc), done=False)
    return RedirectResponse("/console/devices?done=adopted", status_code=303)
