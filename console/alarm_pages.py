"""The alarms page: what is firing now by severity and building, with evidence and the linked order;
acknowledge (who, when), shelve with a reason until a time, and planned maintenance windows of an asset.

Shelved alarms and alarms of an asset in maintenance stay on the page, marked, with their record; every
step is kept (`rules.handling`). Each form is a plain POST answered 303 (post/redirect/get).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from access.roles import Permission
from console.access import Viewer
from console.alarm_views import SEVERITY_ORDER, STATES, AlarmView, firing_alarms, select_alarms
from console.exports import table_file
from console.views import local
from console.web import (
    FormText,
    OptionalText,
    app_deps,
    csrf_ok,
    forbidden,
    render,
    site_zone,
    staff_or_login,
    words_for,
)
from rules import handling
from rules.handling import HandlingRefused

router = APIRouter(prefix="/console", include_in_schema=False)
SHELVE_HOURS = (1, 2, 4, 8, 24, 72)


def _filters(request: Request) -> dict[str, str]:
    query = request.query_params
    return {
        "severity": query.get("severity", "") if query.get("severity", "") in SEVERITY_ORDER else "",
        "building": query.get("building", "")[:64],
        "state": query.get("state", "") if query.get("state", "") in STATES else "",
    }


def _alarms(request: Request, session: Session) -> tuple[list[AlarmView], list[handling.MaintenanceWindow]]:
    deps = app_deps(request)
    return firing_alarms(session, deps.site, deps.registry, now=deps.clock.now(), lang=words_for(request).lang)


@router.get("/alarms")
def alarms_page(request: Request, done: str = "", problem: str = "") -> Response:
    viewer = staff_or_login(request, Permission.READ_ALARMS)
    if isinstance(viewer, Response):
        return viewer
    return _page(request, viewer, done=done, problem=problem)


def _page(request: Request, viewer: Viewer, *, done: str = "", problem: str = "", status: int = 200) -> Response:
    deps, zone = app_deps(request), site_zone(request)
    filters = _filters(request)
    with deps.session_factory() as session:
        views, windows = _alarms(request, session)
    shown = select_alarms(views, **filters)
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "alarms.html",
        status,
        viewer=viewer,
        alarms=shown,
        total=len(views),
        windows=windows,
        filters=filters,
        severities=SEVERITY_ORDER,
        states=STATES,
        buildings=sorted(deps.site.buildings.values(), key=lambda b: b.id),
        assets=sorted(asset.asset_id for asset in deps.registry.all()),
        hours=SHELVE_HOURS,
        local=lambda when: local(when, zone),
        done=done if done in {"alarm_ack", "alarm_shelve", "mw", "already"} else "",
        problem=problem[:300],
        may_ack=viewer.may(Permission.ACKNOWLEDGE_ALARMS),
        may_shelve=viewer.may(Permission.SHELVE_ALARMS),
        export_query=query,
        now_local=deps.clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M"),  # typed, not the browser's picker
    )


def _back(request: Request, **extra: str) -> RedirectResponse:
    return RedirectResponse("/console/alarms?" + urlencode(extra), status_code=303)


def _episode(request: Request, session: Session, key: str) -> AlarmView | None:
    views, _ = _alarms(request, session)
    return next((v for v in views if v.key == key), None)


@router.post("/alarms/acknowledge")
def acknowledge(request: Request, alarm: FormText = "", csrf: OptionalText = None) -> Response:
    viewer = staff_or_login(request, Permission.ACKNOWLEDGE_ALARMS)
    if isinstance(viewer, Response):
        return viewer
    if not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    deps = app_deps(request)
    with deps.session_factory() as session:
        found = _episode(request, session, alarm)
        if found is None:  # cleared meanwhile, or a made-up id
            return _back(request, done="already")
        new = handling.acknowledge(session, site_id=deps.site.id, alarm_id=found.key, rule_id=found.rule_id,
                                   asset_id=found.asset_id, actor=viewer.actor, now=deps.clock.now())  # fmt: skip
        session.commit()
    return _back(request, done="alarm_ack" if new else "already")


@router.post("/alarms/shelve")
def shelve(
    request: Request,
    alarm: FormText = "",
    reason: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
    csrf: OptionalText = None,
) -> Response:
    viewer = staff_or_login(request, Permission.SHELVE_ALARMS)
    if isinstance(viewer, Response):
        return viewer
    if not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    deps = app_deps(request)
    now = deps.clock.now()
    if not hours.isdigit() or int(hours) not in SHELVE_HOURS:
        return _back(request, problem=f"hours must be one of {', '.join(map(str, SHELVE_HOURS))}")
    with deps.session_factory() as session:
        found = _episode(request, session, alarm)
        if found is None:
            return _back(request, done="already")
        try:
            handling.shelve(session, site_id=deps.site.id, alarm_id=found.key, rule_id=found.rule_id,
                            asset_id=found.asset_id, actor=viewer.actor, reason=reason,
                            until=now + timedelta(hours=int(hours)), now=now)  # fmt: skip
        except HandlingRefused as exc:
            return _back(request, problem=str(exc))
        session.commit()
    return _back(request, done="alarm_shelve")


@router.post("/maintenance-windows")
def plan_maintenance(
    request: Request,
    asset: FormText = "",
    starts: FormText = "",
    ends: FormText = "",
    reason: Annotated[str, Form()] = "",
    csrf: OptionalText = None,
) -> Response:
    viewer = staff_or_login(request, Permission.SHELVE_ALARMS)
    if isinstance(viewer, Response):
        return viewer
    if not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    deps, zone = app_deps(request), site_zone(request)
    if asset not in deps.registry:
        return _back(request, problem=f"no asset {asset[:64]!r} in this site")
    try:
        start_at, end_at = (_site_time(datetime.fromisoformat(v[:40]), zone) for v in (starts, ends))
    except ValueError:
        return _back(request, problem="give the window's start and end as date and time (2026-12-05 09:00)")
    with deps.session_factory() as session:
        try:
            handling.plan_maintenance(session, site_id=deps.site.id, asset_id=asset, starts_at=start_at,
                                      ends_at=end_at, reason=reason, actor=viewer.actor,
                                      now=deps.clock.now())  # fmt: skip
        except HandlingRefused as exc:
            return _back(request, problem=str(exc))
        session.commit()
    return _back(request, done="mw")


def _site_time(when: datetime, zone: tzinfo) -> datetime:
    """A datetime-local field's value is the site's wall time; one with an offset keeps it."""
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


@router.get("/export/alarms.{fmt}")
def export_alarms(request: Request, fmt: str) -> Response:
    viewer = staff_or_login(request, Permission.READ_ALARMS)
    if isinstance(viewer, Response):
        return viewer
    deps, words, zone = app_deps(request), words_for(request), site_zone(request)
    with deps.session_factory() as session:
        views, _ = _alarms(request, session)
    shown = select_alarms(views, **_filters(request))
    header = [words.t(k) for k in ("severity", "alarms", "building", "asset", "started", "raised", "order",
                                   "alarm_state", "evidence")]  # fmt: skip
    rows = [
        [words.t(v.severity), v.title, v.building, v.asset, local(v.since, zone), local(v.raised_at, zone),
         v.order or "", words.t(v.state), "; ".join(f"{k}={val}" for k, val in v.evidence)]
        for v in shown
    ]  # fmt: skip
    stamp = deps.clock.now().astimezone(zone).strftime("%Y%m%d-%H%M")
    return table_file(header, rows, fmt, f"alarms-{stamp}")
