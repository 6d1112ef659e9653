"""Planned maintenance in the console: the due tasks, a task's checklist (phone first, 360 px) with the asset's
recent readings beside it, photos, a contractor's sign-off, an asset's records and their CSV export.

The checklist posts one form (multipart: the photos travel with it); `maintenance.records` checks and keeps it,
resolves the planned order and opens a follow-up order for a value out of limits, in one transaction.
Needs `maintenance:read` to look, `maintenance:record` to fill in, `maintenance:sign_off` to sign off. A crew
member fills in only the tasks of their own team (or of no team), as with work orders; staff and admins any.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from access.roles import Permission, Role
from console.access import Viewer
from console.maintenance_words import WORDS
from console.web import (
    app_deps,
    console_config,
    csrf_ok,
    forbidden,
    not_found,
    render,
    staff_or_login,
    unavailable,
    words_for,
)
from maintenance.records import RecordRefused, complete, parse_result_form, sign_off
from maintenance.reports import OccurrenceView, occurrence, occurrences, records_csv
from maintenance.runtime import MaintenanceRuntime
from storage.photos import PhotoError, PhotoStoreUnavailable
from storage.store import StoreUnavailable
from workorders.application import entry_bus

router = APIRouter(prefix="/console", include_in_schema=False)
log = logging.getLogger("facilities.console")
MAX_FORM_FIELDS = 400


def _runtime(request: Request) -> MaintenanceRuntime | None:
    return console_config(request).maintenance


def _setup(request: Request, permission: Permission) -> tuple[Viewer, MaintenanceRuntime] | Response:
    viewer = staff_or_login(request, permission)
    if isinstance(viewer, Response):
        return viewer
    runtime = _runtime(request)
    return (viewer, runtime) if runtime is not None else not_found(request, viewer)


@router.get("/maintenance")
def due_tasks(request: Request) -> Response:
    got = _setup(request, Permission.READ_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    deps = app_deps(request)
    now = deps.clock.now()
    open_ = sorted(occurrences(deps.session_factory, deps.site.id, status="open"), key=lambda v: v.due_on)
    done = occurrences(deps.session_factory, deps.site.id, status="done", limit=20)
    rows = [_row(runtime, v, now) for v in open_]
    return render(request, "maintenance.html", viewer=viewer, m=WORDS[words_for(request).lang], rows=rows,
                  done=[_row(runtime, v, now) for v in done])  # fmt: skip


def _row(runtime: MaintenanceRuntime, view: OccurrenceView, now: Any) -> dict[str, Any]:
    planned = runtime.maintenance.task(view.task_key)
    asset = runtime.maintenance.assets.get(view.asset_id)
    return {
        "id": view.id, "task": planned.task.name if planned else view.task_key, "due_on": view.due_on.isoformat(),
        "asset": asset.name if asset else view.asset_id, "asset_id": view.asset_id, "code": view.work_order_code,
        "overdue": view.overdue(now), "trigger": view.trigger, "contractor": view.contractor_id or "",
        "by": view.completed_by or "", "signed": view.signed_off_by or "",
    }  # fmt: skip


@router.get("/maintenance/photos/{key}")
def photo(request: Request, key: str) -> Response:
    got = _setup(request, Permission.READ_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    try:
        found = runtime.photos.get(key)
    except PhotoStoreUnavailable:  # the bucket down: say so, the photo is not lost
        return unavailable(request, viewer)
    except PhotoError:  # a key that is no photo's
        found = None
    if found is None:
        return not_found(request, viewer)
    data, content_type = found
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
               "Content-Security-Policy": "default-src 'none'"}  # fmt: skip
    return Response(data, media_type=content_type, headers=headers)


@router.get("/maintenance/{occurrence_id}")
def checklist(request: Request, occurrence_id: int, done: str = "") -> Response:
    got = _setup(request, Permission.READ_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    return _checklist(request, viewer, runtime, occurrence_id, done=bool(done))


def other_team(viewer: Viewer, view: OccurrenceView) -> str | None:
    """Why a crew member may not fill in this task (another team's), or None."""
    member = viewer.staff
    if member is None or member.role is not Role.CREW or view.team is None or view.team == member.team:
        return None
    return f"task {view.id} is team {view.team}'s; a crew member of {member.team or 'no team'} records their own team's"


def _checklist(
    request: Request, viewer: Viewer, runtime: MaintenanceRuntime, occurrence_id: int, *, error: str = "",
    values: dict[str, str] | None = None, done: bool = False, status: int | None = None,
) -> Response:  # fmt: skip
    deps = app_deps(request)
    view = occurrence(deps.session_factory, deps.site.id, occurrence_id)
    if view is None:
        return not_found(request, viewer)
    planned = runtime.maintenance.task(view.task_key)
    asset = runtime.maintenance.assets.get(view.asset_id)
    contractor = runtime.maintenance.contractors.get(view.contractor_id or "")
    zone = runtime.zone
    return render(
        request, "checklist.html", status or (422 if error else 200), viewer=viewer, m=WORDS[words_for(request).lang],
        view=view, planned=planned, asset=asset, contractor=contractor, error=error, values=values or {},
        done=done, readings=_readings(request, asset.run_circuit if asset and asset.run_circuit else view.asset_id),
        overdue=view.overdue(deps.clock.now()), completed_at=view.completed_at.astimezone(zone).strftime(
            "%Y-%m-%d %H:%M") if view.completed_at else "", results={r["item"]: r for r in view.results},
        may_record=viewer.may(Permission.RECORD_MAINTENANCE) and other_team(viewer, view) is None,
        may_sign=viewer.may(Permission.SIGN_OFF_MAINTENANCE),
    )  # fmt: skip


def _readings(request: Request, asset_id: str) -> dict[str, Any]:
    """The asset's latest reading and its recent numeric values, for the crew to compare with what they measure."""
    deps = app_deps(request)
    if asset_id not in deps.registry:
        return {}
    info = deps.registry.get(asset_id)
    zone = _runtime(request).zone  # type: ignore[union-attr]
    try:
        latest = deps.store.latest(info)
        recent = []
        if latest is not None:
            numeric = [k for k, v in latest.fields.items() if isinstance(v, int | float) and not isinstance(v, bool)]
            for name in [n for n in ("vibration", "noise_db", "power_w", "total") if n in numeric][:2]:
                end = deps.clock.now()
                samples = deps.store.history(info, name, end - timedelta(hours=24), end, every=timedelta(hours=1))
                values = [float(s.value) for s in samples if isinstance(s.value, int | float)]
                if values:
                    recent.append((name, min(values), sum(values) / len(values), max(values), len(values)))
    except StoreUnavailable:
        return {"unavailable": True}
    if latest is None:
        return {"none": True}
    fields = sorted((k, v) for k, v in latest.fields.items())
    return {"at": latest.ts.astimezone(zone).strftime("%m-%d %H:%M"), "fields": fields, "recent": recent}


async def _form(request: Request, runtime: MaintenanceRuntime) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The text fields, and the photos stored (key per checklist item); PhotoError/RecordRefused for a bad one."""
    form = await request.form(max_files=60, max_fields=MAX_FORM_FIELDS)
    fields: dict[str, str] = {}
    photos: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if not name.startswith("photo:") or not value.filename:
                continue  # an empty file input: no photo chosen
            data = await value.read(runtime.photos.max_bytes + 1)
            item = name.split(":", 1)[1][:32]
            stored = runtime.photos.put(data, declared_type=value.content_type, name=f"item {item} photo")
            photos.setdefault(item, []).append(stored.key)
        else:
            fields[name] = value[:4000]
    return fields, photos


@router.post("/maintenance/{occurrence_id}/complete")
async def record(request: Request, occurrence_id: int) -> Response:
    got = _setup(request, Permission.RECORD_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    deps = app_deps(request)
    view = occurrence(deps.session_factory, deps.site.id, occurrence_id)
    if view is not None and (refused := other_team(viewer, view)) is not None:  # before any photo is stored
        return _checklist(request, viewer, runtime, occurrence_id, error=refused, status=403)
    try:
        fields, photos = await _form(request, runtime)
    except (PhotoError, RecordRefused) as exc:
        return _checklist(request, viewer, runtime, occurrence_id, error=str(exc))
    if not csrf_ok(viewer, fields.get("csrf")):
        return forbidden(request, viewer)
    try:
        results = parse_result_form({k: v for k, v in fields.items() if ":" in k}, photos)
        complete(
            entry_bus(deps), runtime.maintenance, occurrence_id, results, actor=viewer.actor, clock=deps.clock,
            tz=runtime.zone, contractor_person=fields.get("contractor_person", ""),
        )  # fmt: skip
    except RecordRefused as exc:
        return _checklist(request, viewer, runtime, occurrence_id, error=str(exc), values=fields)
    return RedirectResponse(f"/console/maintenance/{occurrence_id}?done=1", status_code=303)


@router.post("/maintenance/{occurrence_id}/sign-off")
async def record_sign_off(request: Request, occurrence_id: int) -> Response:
    got = _setup(request, Permission.SIGN_OFF_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    form = await request.form(max_files=0, max_fields=10)
    csrf = form.get("csrf")
    if not csrf_ok(viewer, csrf if isinstance(csrf, str) else None):
        return forbidden(request, viewer)
    deps = app_deps(request)
    try:
        sign_off(entry_bus(deps), runtime.maintenance, occurrence_id, actor=viewer.actor, clock=deps.clock)
    except RecordRefused as exc:
        return _checklist(request, viewer, runtime, occurrence_id, error=str(exc))
    return RedirectResponse(f"/console/maintenance/{occurrence_id}?done=1", status_code=303)


@router.get("/assets/{asset_id}/maintenance")
def asset_records(request: Request, asset_id: str) -> Response:
    got = _setup(request, Permission.READ_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    asset = runtime.maintenance.assets.get(asset_id)
    if asset is None:
        return not_found(request, viewer)
    deps = app_deps(request)
    now = deps.clock.now()
    views = occurrences(deps.session_factory, deps.site.id, asset_id=asset_id, limit=200)
    inspection = next((i for i in runtime.maintenance.inspections if i.asset == asset_id), None)
    return render(request, "asset_maintenance.html", viewer=viewer, m=WORDS[words_for(request).lang], asset=asset,
                  rows=[_row(runtime, v, now) for v in views], inspection=inspection,
                  tasks=runtime.maintenance.tasks_for(asset_id))  # fmt: skip


@router.get("/assets/{asset_id}/maintenance.csv")
def asset_records_csv(request: Request, asset_id: str) -> Response:
    got = _setup(request, Permission.READ_MAINTENANCE)
    if isinstance(got, Response):
        return got
    viewer, runtime = got
    if asset_id not in runtime.maintenance.assets:
        return not_found(request, viewer)
    deps = app_deps(request)
    views = occurrences(deps.session_factory, deps.site.id, asset_id=asset_id, limit=10_000)
    body = "\ufeff" + records_csv(views, runtime.zone)  # the BOM: Excel opens UTF-8 Chinese text correctly
    disposition = f'attachment; filename="maintenance-{asset_id}.csv"'
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
