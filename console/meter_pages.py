"""The service centre's meters page: record a meter swap (换表) and enter a register read by hand (抄表).

The same checks and records as the API and the CLI (`billing.manual_readings`); times are entered in the site's
local time (a phone's date-time picker has no zone). Needs `billing:run` (admin, staff).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from access.roles import Permission
from billing.manual_readings import list_manual_readings, record_manual_reading, record_swap
from billing.registers import Replacement
from billing.service import list_replacements
from console.access import Viewer
from console.meter_words import METER_WORDS
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

router = APIRouter(prefix="/console", include_in_schema=False)
RECENT = 10


@router.get("/meters")
def meters_page(request: Request, done: str = "") -> Response:
    viewer = staff_or_login(request, Permission.RUN_BILLING)
    if isinstance(viewer, Response):
        return viewer
    return _page(request, viewer, values={}, error="", done=done if done in ("swap", "read") else "")


def _page(request: Request, viewer: Viewer, *, values: Mapping[str, str], error: str, done: str = "") -> HTMLResponse:
    deps, zone = app_deps(request), site_zone(request)
    recent = [
        ("swap", s.meter_id, s.replaced_at, f"{s.old_final} → {s.new_initial} {s.note}".strip(), "")
        for swaps in list_replacements(deps.session_factory, deps.site.id).values()  # type: ignore[arg-type]
        for s in swaps
    ] + [
        ("read", r.meter_id, r.read_at, f"{r.value} {r.note}".strip(), r.recorded_by)
        for r in list_manual_readings(deps.session_factory, deps.site.id)
    ]
    recent.sort(key=lambda item: item[2], reverse=True)
    shown = [(kind, meter, when.astimezone(zone).strftime("%Y-%m-%d %H:%M"), text, by) for kind, meter, when, text, by
             in recent[:RECENT]]  # fmt: skip
    return render(
        request, "meters.html", 422 if error else 200, viewer=viewer, values=values, error=error, done=done,
        m=METER_WORDS[words_for(request).lang], meters=sorted(deps.site.meters), recent=shown,
    )  # fmt: skip


def _local(text: str, request: Request) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time {text!r} is not a date and time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=site_zone(request))


def _number(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None


def _clerk(request: Request, csrf: str | None) -> Viewer | Response:
    """The signed-in clerk allowed to record meters, whose form carries the session's CSRF token; else the answer."""
    viewer = staff_or_login(request, Permission.RUN_BILLING)
    if isinstance(viewer, Response):
        return viewer
    return viewer if csrf_ok(viewer, csrf) else forbidden(request, viewer)


@router.post("/meters/replacements")
def record_meter_swap(
    request: Request,
    meter: FormText = "",
    at: FormText = "",
    old_final: FormText = "",
    new_initial: FormText = "",
    note: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    viewer = _clerk(request, csrf)
    if isinstance(viewer, Response):
        return viewer
    values = {"meter": meter, "at": at, "old_final": old_final, "new_initial": new_initial, "note": note or ""}
    deps = app_deps(request)
    try:
        swap = Replacement(
            meter.strip(), _local(at, request), _number(old_final, "old_final"), _number(new_initial, "new_initial"),
            (note or "").strip(),
        )  # fmt: skip
        record_swap(deps.session_factory, deps.site, swap, now=deps.clock.now(), by=viewer.actor)
    except ValueError as exc:
        return _page(request, viewer, values=values, error=str(exc))
    return RedirectResponse("/console/meters?done=swap", status_code=303)


@router.post("/meters/readings")
def record_reading(
    request: Request,
    meter: FormText = "",
    at: FormText = "",
    value: FormText = "",
    note: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    viewer = _clerk(request, csrf)
    if isinstance(viewer, Response):
        return viewer
    deps = app_deps(request)
    try:
        record_manual_reading(
            deps.session_factory, deps.store, deps.site, meter.strip(), _local(at, request), _number(value, "value"),
            clock=deps.clock, by=viewer.actor, note=(note or "").strip(),
        )  # fmt: skip
    except ValueError as exc:
        return _page(request, viewer, values={}, error=str(exc))
    return RedirectResponse("/console/meters?done=read", status_code=303)
