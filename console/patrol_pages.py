"""Patrols on the phone (巡检): start a route, record each checkpoint by scanning its QR code or typing its short
code, answer what the sensors found on the route, complete the patrol. A failed checklist item opens a work
order through the work-order application service (so alerts follow as for any order).

A label's QR code links to `/console/patrols/at/<code>`, so a phone's own camera app opens the walker's patrol
at that checkpoint. Walking needs `patrols:walk` (admin, staff, crew) and a patrol is its walker's: another crew
member's patrol answers 403. The label sheet and the records export need `patrols:read` (admin, staff).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from access.roles import Permission, Role
from console.access import Viewer
from console.patrol_words import PATROL_WORDS
from console.web import (
    FormText,
    OptionalText,
    app_deps,
    console_config,
    csrf_ok,
    forbidden,
    not_found,
    render,
    site_zone,
    staff_or_login,
    unavailable,
    words_for,
)
from patrols.config import PatrolBook, Route
from patrols.export import patrols_csv
from patrols.labels import label_sheet_pdf, reachable_base
from patrols.records import Patrol
from patrols.schedule import slot_of
from patrols.sensors import route_findings
from patrols.service import (
    PatrolNotFound,
    checkpoint_for,
    code_of,
    complete_patrol,
    list_patrols,
    load_patrol,
    note_sensor,
    record_visit,
    start_patrol,
)
from storage.photos import PhotoStoreUnavailable
from workorders.application import Refused, entry_bus, execute
from workorders.commands import OpenRequest
from workorders.service import ResidentRequest

router = APIRouter(prefix="/console/patrols", include_in_schema=False)
RECENT_DAYS = 7
MAX_PHOTOS = 6


def _book(request: Request) -> PatrolBook:
    return console_config(request).patrols


def _words(request: Request) -> dict[str, str]:
    return PATROL_WORDS[words_for(request).lang]


@router.get("")
def patrols_page(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.WALK_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    return _routes_page(request, viewer)


@router.get("/at/{checkpoint}")
def scanned(request: Request, checkpoint: str) -> Response:
    """A label's QR link from any camera app: the walker's patrol under way through this checkpoint, at it;
    without one, the routes page saying which routes pass it (signing in first comes back here)."""
    viewer = staff_or_login(request, Permission.WALK_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    deps, book = app_deps(request), _book(request)
    typed = code_of(checkpoint)
    if typed not in book.checkpoints:
        return _routes_page(request, viewer, scanned=(checkpoint[:20], "scanned_unknown"), status=404)
    now = deps.clock.now()
    recent = list_patrols(deps.session_factory, deps.site.id, since=now - timedelta(days=RECENT_DAYS),
                          until=now + timedelta(seconds=1))  # fmt: skip
    mine = [
        p for p in sorted(recent, key=lambda p: p.started_at, reverse=True)  # newest first
        if p.completed_at is None and p.started_by == viewer.actor and p.route_id in book.routes
        and typed in book.routes[p.route_id].checkpoints
    ]  # fmt: skip
    if not mine:
        return _routes_page(request, viewer, scanned=(typed, "scanned_no_patrol"))
    unvisited = [p for p in mine if typed not in p.visited]
    return RedirectResponse(f"/console/patrols/{(unvisited or mine)[0].id}?code={typed}", status_code=303)


def _routes_page(
    request: Request, viewer: Viewer, *, scanned: tuple[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    deps, book, zone = app_deps(request), _book(request), site_zone(request)
    now = deps.clock.now()
    slots = {route.id: slot_of(route, now, zone) for route in book.routes.values()}
    since = min([now - timedelta(days=RECENT_DAYS), *slots.values()])
    recent = list_patrols(deps.session_factory, deps.site.id, since=since, until=now + timedelta(seconds=1))
    routes = [
        (route, slots[route.id].astimezone(zone).strftime("%m-%d %H:%M"), _every(route.every),
         _round_status(route, slots[route.id], now, recent))
        for route in book.routes.values()
    ]  # fmt: skip
    mine = [p for p in reversed(recent) if _may_see(viewer, p)]
    passing = {route.id for route in book.routes.values() if scanned and scanned[0] in route.checkpoints}
    return render(
        request, "patrols.html", status, viewer=viewer, p=_words(request), routes=routes, recent=mine[:20], zone=zone,
        scanned=scanned, passing=passing,
        may_read=viewer.may(Permission.READ_PATROLS), may_report=viewer.may(Permission.READ_REPORTS),
        month=now.astimezone(zone).strftime("%Y-%m"),
    )  # fmt: skip


def _round_status(route: Route, slot: datetime, now: datetime, recent: list[Patrol]) -> str:
    """This round's state: completed, in progress, late (not started within `late_after`) or due."""
    walks = [p for p in recent if p.route_id == route.id and p.slot_at == slot]
    if any(p.completed_at is not None for p in walks):
        return "round_completed"
    if walks:
        return "in_progress"
    return "round_late" if now >= slot + route.late_after else "round_due"


def _every(every: timedelta) -> str:
    hours = int(every.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def _may_see(viewer: Viewer, patrol: Patrol) -> bool:
    """Staff and admins see every patrol; crew their own."""
    member = viewer.staff
    return member is not None and (member.role != Role.CREW or patrol.started_by == member.actor)


@router.post("/start")
def start(request: Request, route: FormText = "", csrf: OptionalText = None) -> Response:
    viewer = _walker(request, csrf)
    if isinstance(viewer, Response):
        return viewer
    deps = app_deps(request)
    try:
        patrol_id = start_patrol(
            deps.session_factory, _book(request), site_id=deps.site.id, route_id=route.strip(), by=viewer.actor,
            clock=deps.clock, zone=site_zone(request),
        )  # fmt: skip
    except ValueError as exc:
        return render(request, "message.html", 422, viewer=viewer, title_key="not_found", text=str(exc))
    return RedirectResponse(f"/console/patrols/{patrol_id}", status_code=303)


@router.get("/labels.pdf")
def labels_pdf(request: Request, route: str | None = None) -> Response:
    viewer = staff_or_login(request, Permission.READ_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    book = _book(request)
    if route is not None and route not in book.routes:
        return not_found(request, viewer)
    routing = console_config(request).routing  # its base is FACILITIES_PUBLIC_URL; else where this page was asked
    base = reachable_base(routing.base_url if routing else "") or reachable_base(str(request.base_url))
    pdf = label_sheet_pdf(book, site_name=app_deps(request).site.info.name, route_id=route, link_base=base)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=labels.pdf"})


@router.get("/records.csv")
def records_csv(request: Request, month: str = "") -> Response:
    viewer = staff_or_login(request, Permission.READ_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    deps, zone = app_deps(request), site_zone(request)
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    except ValueError:
        return render(request, "message.html", 422, viewer=viewer, title_key="not_found", text="month is YYYY-MM")
    after = (first + timedelta(days=32)).replace(day=1)
    patrols = list_patrols(deps.session_factory, deps.site.id, since=first, until=after, completed_only=True)
    body = "\ufeff" + patrols_csv(patrols, _book(request), zone)  # the BOM: Excel then reads the Chinese right
    disposition = f"attachment; filename=patrols-{first:%Y-%m}.csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


def _walker(request: Request, csrf: str | None) -> Viewer | Response:
    viewer = staff_or_login(request, Permission.WALK_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    return viewer if csrf_ok(viewer, csrf) else forbidden(request, viewer)


def _patrol(request: Request, viewer: Viewer, patrol_id: str) -> Patrol | Response:
    try:
        patrol = load_patrol(app_deps(request).session_factory, uuid.UUID(patrol_id))
    except (ValueError, PatrolNotFound):
        return not_found(request, viewer)
    if patrol.site_id != app_deps(request).site.id:
        return not_found(request, viewer)
    return patrol if _may_see(viewer, patrol) else forbidden(request, viewer)


@router.get("/{patrol_id}")
def walk_page(request: Request, patrol_id: str, code: str = "", done: str = "", order: str = "") -> Response:
    viewer = staff_or_login(request, Permission.WALK_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    patrol = _patrol(request, viewer, patrol_id)
    if isinstance(patrol, Response):
        return patrol
    return _walk(request, viewer, patrol, code=code, done=done[:16], order=order[:24])


def _walk(
    request: Request, viewer: Viewer, patrol: Patrol, *, code: str = "", error: str = "", done: str = "",
    order: str = "",
) -> HTMLResponse:  # fmt: skip
    deps, book, zone = app_deps(request), _book(request), site_zone(request)
    point = None
    if code and patrol.completed_at is None:
        try:
            point = checkpoint_for(book, patrol, code)
        except ValueError as exc:
            error = str(exc)
    if point is not None and point.code in patrol.visited:
        error, point = f"checkpoint {point.code} is already recorded in this patrol", None
    answered = {note.key: note for note in patrol.sensor_notes}
    known = patrol.route_id in book.routes  # a route taken out of the patrols file: its old patrols still show
    findings = route_findings(deps.session_factory, deps.site, book, patrol.route_id) if known else []
    return render(
        request, "patrol.html", 422 if error else 200, viewer=viewer, p=_words(request), patrol=patrol,
        route=book.routes.get(patrol.route_id), stops=book.stops(patrol.route_id) if known else [], point=point,
        error=error, done=done, order=order, findings=findings, answered=answered, zone=zone,
        visits={visit.checkpoint: visit for visit in patrol.visits}, photo_mb=_photo_mb(request),
    )  # fmt: skip


def _photo_mb(request: Request) -> str:
    """The upload limit as the walker reads it (FACILITIES_PHOTOS_MAX_MB)."""
    store = console_config(request).photos
    return f"{store.max_bytes / 1024 / 1024:g}" if store is not None else "0"


@router.post("/{patrol_id}/visits")
async def save_visit(request: Request, patrol_id: str) -> Response:
    form = await request.form()
    fields = {key: str(value)[:2000] for key, value in form.items() if isinstance(value, str)}
    uploads = [value for value in form.getlist("photo") if isinstance(value, UploadFile) and value.filename]
    viewer = _walker(request, fields.get("csrf"))
    if isinstance(viewer, Response):
        return viewer
    patrol = _patrol(request, viewer, patrol_id)
    if isinstance(patrol, Response):
        return patrol
    deps, book = app_deps(request), _book(request)
    code = fields.get("code", "")
    try:
        point = checkpoint_for(book, patrol, code)
        photos = _store_photos(request, uploads)
        answers = {item: fields.get(f"item-{i}", "") for i, item in enumerate(point.items)}
        results = {item: answer for item, answer in answers.items() if answer}  # unanswered: named as missing
        visit = record_visit(
            deps.session_factory, book, patrol.id, code=code, results=results, note=fields.get("note", ""),
            by=viewer.actor, clock=deps.clock, open_order=lambda finding: _open_order(request, finding), photos=photos,
        )  # fmt: skip
    except (ValueError, Refused) as exc:
        message = exc.message if isinstance(exc, Refused) else str(exc)
        return _walk(request, viewer, patrol, code=code, error=message)
    order = f"&order={visit.work_order_code}" if visit.work_order_code else ""
    return RedirectResponse(f"/console/patrols/{patrol.id}?done={visit.checkpoint}{order}", status_code=303)


def _store_photos(request: Request, uploads: list[UploadFile]) -> tuple[str, ...]:
    """Each upload checked (really an image, within the size limit) and stored; its key, in order."""
    if not uploads:
        return ()
    store = console_config(request).photos
    if store is None:
        raise ValueError("photos are not kept on this hub; save the checkpoint without them")
    if len(uploads) > MAX_PHOTOS:
        raise ValueError(f"{len(uploads)} photos: at most {MAX_PHOTOS} a checkpoint")
    keys = []
    for upload in uploads:
        data = store.read_limited(upload.file)
        keys.append(store.put(data, declared_type=upload.content_type, name=upload.filename or "photo").key)
    return tuple(keys)


@router.get("/{patrol_id}/photos/{key}")
def photo(request: Request, patrol_id: str, key: str) -> Response:
    """A photo of this patrol's visits, to whoever may see the patrol."""
    viewer = staff_or_login(request, Permission.WALK_PATROLS)
    if isinstance(viewer, Response):
        return viewer
    patrol = _patrol(request, viewer, patrol_id)
    if isinstance(patrol, Response):
        return patrol
    store = console_config(request).photos
    if store is None or key not in {k for visit in patrol.visits for k in visit.photos}:
        return not_found(request, viewer)
    try:
        found = store.get(key)
    except PhotoStoreUnavailable:  # the bucket down: say so, the photo is not lost
        return unavailable(request, viewer)
    if found is None:
        return not_found(request, viewer)
    data, media = found
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


def _open_order(request: Request, finding: ResidentRequest) -> str:
    ref = execute(entry_bus(app_deps(request)), OpenRequest(request=finding))
    return str(ref.code)


@router.post("/{patrol_id}/sensors")
def answer_sensor(
    request: Request, patrol_id: str, key: FormText = "", kind: FormText = "", verdict: FormText = "",
    note: OptionalText = None, csrf: OptionalText = None,
) -> Response:  # fmt: skip
    viewer = _walker(request, csrf)
    if isinstance(viewer, Response):
        return viewer
    patrol = _patrol(request, viewer, patrol_id)
    if isinstance(patrol, Response):
        return patrol
    deps = app_deps(request)
    book = _book(request)
    found = (
        route_findings(deps.session_factory, deps.site, book, patrol.route_id) if patrol.route_id in book.routes else []
    )
    known = {f.key: f for f in found}
    try:
        if key not in known and key not in {n.key for n in patrol.sensor_notes}:
            raise ValueError("the sensors no longer report this; reload the page")
        note_sensor(deps.session_factory, patrol.id, key=key, kind=known[key].kind if key in known else kind,
                    verdict=verdict, note=note or "", by=viewer.actor, clock=deps.clock)  # fmt: skip
    except ValueError as exc:
        return _walk(request, viewer, patrol, error=str(exc))
    return RedirectResponse(f"/console/patrols/{patrol.id}?done=sensor", status_code=303)


@router.post("/{patrol_id}/complete")
def complete(request: Request, patrol_id: str, csrf: OptionalText = None) -> Response:
    viewer = _walker(request, csrf)
    if isinstance(viewer, Response):
        return viewer
    patrol = _patrol(request, viewer, patrol_id)
    if isinstance(patrol, Response):
        return patrol
    deps = app_deps(request)
    try:
        complete_patrol(deps.session_factory, _book(request), patrol.id, clock=deps.clock)
    except ValueError as exc:
        return _walk(request, viewer, patrol, error=str(exc))
    return RedirectResponse(f"/console/patrols/{patrol.id}?done=complete", status_code=303)
