"""The console's pages under /console: sign-in, a work order, my team's orders, all orders, intake, statistics.

Server-rendered HTML (Jinja2) with plain forms, so every action works without JavaScript; each POST answers
303 to the page to show next (post/redirect/get), so a reload never repeats it. Work-order changes go through
`workorders.service` in the hub's unit of work, so alerts, escalation stops and the audit log follow as they
do for the API.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from api.permissions import Permission
from api.ports import ApiDependencies
from api.workorder_deps import run_command
from console import forms
from console.access import ConsoleConfig, Viewer
from console.chart import evidence_field, evidence_series, render_evidence_chart
from console.i18n import LANGS, Words, pick_lang
from console.intake import IntakeError, RequestForm, register_request
from console.orm import ResidentRequestRow
from console.sessions import COOKIE, LANG_COOKIE
from console.users import current_member, sign_in
from console.views import (
    ACTIONS,
    NEEDS_NOTE,
    TARGETS,
    by_deadline,
    countdown,
    local,
    minutes_text,
    next_due,
    order_teams,
    summary_due,
)
from workorders import service
from workorders.domain import WorkOrder
from workorders.lifecycle import ACTIVE_STATES, TRANSITIONS, Status, WorkOrderConflict
from workorders.links import LinkRefused
from workorders.queries import (
    WorkOrderFilters,
    WorkOrderSummary,
    list_breaches,
    list_work_orders,
    monthly_site_statistics,
)
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import UnitOfWork
from workorders.values import Category, Priority, Satisfaction, Source

log = logging.getLogger("facilities.console")
STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 50
_templates = Environment(
    loader=PackageLoader("console", "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True
)
router = APIRouter(prefix="/console", include_in_schema=False)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


def mount_console(app: FastAPI, config: ConsoleConfig) -> FastAPI:
    """Serve the console from the API's own process and database."""
    app.state.console = config
    app.include_router(router)
    return app


# --- plumbing -----------------------------------------------------------------------------------------------


def _deps(request: Request) -> ApiDependencies:
    return cast(ApiDependencies, request.app.state.deps)


def _config(request: Request) -> ConsoleConfig:
    return cast(ConsoleConfig, request.app.state.console)


def _words(request: Request) -> Words:
    return Words(pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)))


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(_deps(request).site.info.timezone)


def _staff(request: Request) -> Viewer | None:
    """The signed-in staff member, if the cookie is genuine, unexpired and still matches an active account."""
    deps, config = _deps(request), _config(request)
    claims = config.sessions.read(request.cookies.get(COOKIE), now=deps.clock.now())
    if claims is None:
        return None
    with deps.session_factory() as session:
        member = current_member(session, claims.user_id, claims.session_version)
    return None if member is None else Viewer(staff=member, csrf=claims.csrf)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    words = _words(request)
    deps = _deps(request)
    query = dict(request.query_params)
    query.pop("lang", None)
    here = request.url.path + ("?" + urlencode(query) if query else "")
    html = _templates.get_template(name).render(
        w=words,
        lang=words.lang,
        other_lang_url=f"/console/lang?{urlencode({'to': words.other, 'next': here})}",
        site_name=deps.site.info.name,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Referrer-Policy"] = "no-referrer"  # links carry tokens: never leak them to another site
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse(f"/console/login?{urlencode({'next': target})}", status_code=303)


def _staff_or_login(request: Request, permission: Permission) -> Viewer | Response:
    viewer = _staff(request)
    if viewer is None:
        return _to_login(request)
    if not viewer.may(permission):
        return _page(request, "message.html", 403, viewer=viewer, title_key="forbidden", text="")
    return viewer


def _safe_next(target: str | None) -> str:
    """Only our own pages: an open redirect would let a phishing link borrow our sign-in page."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _order_url(code: str, viewer: Viewer, **extra: str) -> str:
    query = {"k": viewer.token} if viewer.token else {}
    query.update(extra)
    return f"/console/orders/{code}" + ("?" + urlencode(query) if query else "")


def _load(request: Request, code: str) -> WorkOrder | None:
    deps = _deps(request)
    with deps.session_factory() as session:
        return SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=deps.site.id, code=code)


def _order_viewer(request: Request, order: WorkOrder, token: str | None) -> Viewer | Response:
    """A link holder for this order, else a signed-in staff member; a refused link explains why."""
    refusal: LinkRefused | None = None
    if token:
        try:
            grant = _config(request).links.verify(token, order_id=order.id, now=_deps(request).clock.now())
            return Viewer(grant=grant, token=token)
        except LinkRefused as exc:
            refusal = exc
            log.warning("refused a link to %s: %s", order.code, exc.problem)
    staff = _staff(request)
    if staff is not None:
        return staff if staff.may(Permission.READ_WORK_ORDERS) else _forbidden(request, staff)
    if refusal is not None:
        text = _words(request).t(f"link_{refusal.problem.value}")
        return _page(request, "message.html", 403, viewer=None, title_key="link_refused", text=text)
    return _to_login(request)


def _forbidden(request: Request, viewer: Viewer | None) -> HTMLResponse:
    return _page(request, "message.html", 403, viewer=viewer, title_key="forbidden", text="")


def _csrf_ok(viewer: Viewer, presented: str | None) -> bool:
    """A link's token is itself the proof; a cookie session must echo its CSRF token."""
    if viewer.grant is not None:
        return True
    return viewer.csrf is not None and presented is not None and hmac.compare_digest(viewer.csrf, presented)


def _not_found(request: Request, viewer: Viewer | None = None) -> HTMLResponse:
    return _page(request, "message.html", 404, viewer=viewer, title_key="not_found", text="")


def _run(request: Request, command: Callable[[UnitOfWork], object]) -> str | None:
    """Run a work-order command; None when it went through, else the message to show (409/422/404)."""
    try:
        run_command(_deps(request), command)
    except HTTPException as exc:
        return str(exc.detail)
    except WorkOrderConflict as exc:  # the API answers these 409 as JSON; the console shows them on the page
        return str(exc)
    return None


# --- sign-in and language -----------------------------------------------------------------------------------


@router.get("")
def home(request: Request) -> Response:
    viewer = _staff(request)
    if viewer is None:
        return _to_login(request)
    return RedirectResponse("/console/my", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _page(request, "login.html", viewer=None, next=_safe_next(next), error=False)


@router.post("/login")
def login(request: Request, username: FormText = "", password: FormText = "", next: OptionalText = None) -> Response:
    deps, config = _deps(request), _config(request)
    with deps.session_factory() as session:
        member = sign_in(session, username, password)
    if member is None:
        log.warning("console sign-in refused for %r", username[:64])
        return _page(request, "login.html", 401, viewer=None, next=_safe_next(next), error=True)
    cookie = config.sessions.issue(user_id=member.user_id, session_version=member.session_version, now=deps.clock.now())
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(config.sessions.ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=config.secure_cookies,
        path="/console",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/lang")
def switch_language(request: Request, to: str = "zh-CN", next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if to in LANGS:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86_400, samesite="lax", path="/console")
    return response


@router.get("/static/console.css")
def stylesheet() -> FileResponse:
    return FileResponse(STATIC / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"})


# --- one work order -----------------------------------------------------------------------------------------


@router.get("/orders/{code}")
def order_page(request: Request, code: str, k: str | None = None, done: str | None = None) -> Response:
    order = _load(request, code)
    if order is None:
        return _not_found(request, _staff(request))
    viewer = _order_viewer(request, order, k)
    if isinstance(viewer, Response):
        return viewer
    return _order_response(request, order, viewer, done=done)


def _order_response(
    request: Request, order: WorkOrder, viewer: Viewer, *, done: str | None = None, error: str = "", status: int = 200
) -> HTMLResponse:
    deps, words, zone = _deps(request), _words(request), _zone(request)
    now = deps.clock.now()
    due = next_due(
        order.deadlines,
        status=order.status,
        acknowledged_at=order.acknowledged_at,
        arrived_at=order.arrived_at,
        resolved_at=order.resolved_at,
        now=now,
    )
    moves = [ACTIONS[to] for to in sorted(TRANSITIONS[order.status]) if viewer.may_move(to)]
    with deps.session_factory() as session:
        intake = session.get(ResidentRequestRow, order.id)
    return _page(
        request,
        "order.html",
        status,
        viewer=viewer,
        order=order,
        due=due,
        countdown=countdown(due, words),
        moves=moves,
        needs_note=NEEDS_NOTE,
        chart=_chart(request, order, words),
        local=lambda when: local(when, zone),
        done=done if done in {*TARGETS, "comment", "follow_up", "register", "already"} else None,
        error=error,
        intake=intake,
        nonce=forms.new_nonce(),
        follow_up_nonce=forms.new_nonce(),  # each form its own: sending one must not use up the other
        satisfactions=list(Satisfaction),
        may_comment=viewer.may(Permission.COMMENT_WORK_ORDERS),
        may_follow_up=viewer.may(Permission.FOLLOW_UP_WORK_ORDERS) and order.status in {Status.RESOLVED, Status.CLOSED},
        places=_places(request, order),
    )


def _places(request: Request, order: WorkOrder) -> str:
    site = _deps(request).site
    building = site.buildings.get(order.building_id or "")
    parts = [site.info.name, (building.name or building.id) if building else (order.building_id or "")]
    parts += [order.unit_id or "", _asset_name(request, order.asset_id)]
    return " · ".join(part for part in parts if part)


def _asset_name(request: Request, asset_id: str | None) -> str:
    """An elevator's or circuit's name as the site file gives it (1号楼1号梯), else its id."""
    if asset_id is None:
        return ""
    site = _deps(request).site
    named = site.elevators.get(asset_id) or site.circuits.get(asset_id)
    return f"{named.name} ({asset_id})" if named is not None and named.name else asset_id


def _list_place(request: Request) -> Callable[[WorkOrderSummary], str]:
    def place(order: WorkOrderSummary) -> str:
        return order.unit_id or _asset_name(request, order.asset_id) or order.building_id or ""

    return place


def _chart(request: Request, order: WorkOrder, words: Words) -> str:
    """The triggering field around the alarm time, with its threshold; "" when the order has no such field."""
    if not order.alarms or order.asset_id is None:
        return ""
    alarm = order.alarms[0]
    field, threshold = evidence_field(alarm.evidence)
    if field is None:
        return ""
    deps = _deps(request)
    series = evidence_series(
        deps.store,
        registry=deps.registry,
        asset_id=order.asset_id,
        field=field,
        alarm_at=alarm.raised_at,
        now=deps.clock.now(),
    )
    return render_evidence_chart(
        series,
        alarm_at=alarm.raised_at,
        threshold=threshold,
        field_label=field,
        unit=_unit(field),
        tz=_zone(request),
        threshold_label=words.t("threshold"),
        alarm_label=words.t("alarm"),
        empty_text=words.t("no_readings"),
        width=480,
        height=240,
        font_size=14,  # about 9.5 px on a 360 px phone, 19 px at the 640 px the chart grows to on a desk
    )


def _unit(field: str) -> str:
    return {"vibration": "m/s²", "noise_db": "dB(A)", "load": "%", "power_w": "W", "rate": "kW"}.get(field, "")


@router.post("/orders/{code}/act")
def act(
    request: Request,
    code: str,
    action: FormText = "",
    note: Annotated[str, Form()] = "",
    k: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    order = _load(request, code)
    if order is None:
        return _not_found(request)
    viewer = _order_viewer(request, order, k)
    if isinstance(viewer, Response):
        return viewer
    target = TARGETS.get(action)
    if target is None or not viewer.may_move(target) or not _csrf_ok(viewer, csrf):
        return _forbidden(request, viewer)
    if order.status is target:  # a double tap, or a colleague was quicker: done already, nothing to repeat
        return RedirectResponse(_order_url(code, viewer, done="already"), status_code=303)
    error = _run(request, _move(order.id, action, viewer.actor, note, _deps(request)))
    if error is not None:
        fresh = _load(request, code) or order
        return _order_response(request, fresh, viewer, error=error, status=409)
    if note.strip() and action not in NEEDS_NOTE:
        _run(request, _comment(order.id, viewer.actor, note, _deps(request)))
    return RedirectResponse(_order_url(code, viewer, done=action), status_code=303)


def _move(order_id: UUID, action: str, actor: str, note: str, deps: ApiDependencies) -> Callable[[UnitOfWork], None]:
    clock = deps.clock
    moves: Mapping[str, Callable[[UnitOfWork], None]] = {
        "acknowledge": lambda uow: service.acknowledge(uow, order_id=order_id, actor=actor, clock=clock),
        "arrive": lambda uow: service.arrive(uow, order_id=order_id, actor=actor, clock=clock),
        "resolve": lambda uow: service.resolve(uow, order_id=order_id, actor=actor, resolution=note, clock=clock),
        "close": lambda uow: service.close(uow, order_id=order_id, actor=actor, clock=clock),
        "cancel": lambda uow: service.cancel(uow, order_id=order_id, actor=actor, reason=note, clock=clock),
    }
    return moves[action]


def _comment(order_id: UUID, actor: str, text: str, deps: ApiDependencies) -> Callable[[UnitOfWork], None]:
    return lambda uow: service.add_comment(uow, order_id=order_id, author=actor, text=text, clock=deps.clock)


@router.post("/orders/{code}/comment")
def comment(
    request: Request,
    code: str,
    text: FormText = "",
    nonce: FormText = "",
    k: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    order = _load(request, code)
    if order is None:
        return _not_found(request)
    viewer = _order_viewer(request, order, k)
    if isinstance(viewer, Response):
        return viewer
    if not viewer.may(Permission.COMMENT_WORK_ORDERS) or not _csrf_ok(viewer, csrf):
        return _forbidden(request, viewer)
    deps = _deps(request)
    return _once(
        request,
        nonce,
        "comment",
        lambda: _run(request, _comment(order.id, viewer.actor, text, deps)),
        _order_url(code, viewer, done="comment"),
        lambda error: _order_response(request, _load(request, code) or order, viewer, error=error, status=422),
    )


@router.post("/orders/{code}/follow-up")
def follow_up(
    request: Request,
    code: str,
    satisfaction: FormText = "",
    nonce: FormText = "",
    feedback: Annotated[str, Form()] = "",
    csrf: OptionalText = None,
) -> Response:
    order = _load(request, code)
    if order is None:
        return _not_found(request)
    viewer = _staff_or_login(request, Permission.FOLLOW_UP_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    if not _csrf_ok(viewer, csrf) or satisfaction not in set(Satisfaction):
        return _forbidden(request, viewer)
    deps = _deps(request)

    def command(uow: UnitOfWork) -> None:
        service.record_follow_up(
            uow,
            order_id=order.id,
            actor=viewer.actor,
            satisfaction=Satisfaction(satisfaction),
            feedback=feedback.strip(),
            clock=deps.clock,
        )

    return _once(
        request,
        nonce,
        "follow_up",
        lambda: _run(request, command),
        _order_url(code, viewer, done="follow_up"),
        lambda error: _order_response(request, _load(request, code) or order, viewer, error=error, status=409),
    )


def _once(
    request: Request,
    nonce: str,
    action: str,
    work: Callable[[], str | None],
    success_url: str,
    on_error: Callable[[str], Response],
) -> Response:
    """Do `work` for the first POST of this form only; repeats go where the first one went."""
    if not forms.valid_nonce(nonce):
        return on_error("the form is incomplete; reload the page and try again")
    deps = _deps(request)
    earlier = forms.claim(deps.session_factory, nonce, action, deps.clock.now())
    if earlier is not None:
        return RedirectResponse(earlier or success_url, status_code=303)
    try:
        error = work()
    except BaseException:
        forms.release(deps.session_factory, nonce)  # a crash must not swallow the form's next, corrected try
        raise
    if error is not None:
        forms.release(deps.session_factory, nonce)
        return on_error(error)
    forms.settle(deps.session_factory, nonce, success_url)
    return RedirectResponse(success_url, status_code=303)


# --- lists --------------------------------------------------------------------------------------------------


@router.get("/my")
def my_orders(request: Request) -> Response:
    viewer = _staff_or_login(request, Permission.READ_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    assert viewer.staff is not None  # noqa: S101 (_staff_or_login returns staff viewers only)
    deps, words = _deps(request), _words(request)
    now = deps.clock.now()
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=WorkOrderFilters(statuses=ACTIVE_STATES), limit=1000, offset=0
        )
    team, actor = viewer.staff.team, viewer.staff.actor
    config = _config(request)
    if team:
        rows = [o for o in found.items if team in order_teams(o, config.routing) or o.assignee == actor]
    else:  # no team: what they took themselves; staff and admins without a team see every active order
        rows = [o for o in found.items if o.assignee == actor or viewer.staff.role.value != "crew"]
    rows = by_deadline(rows, now)
    items = [(o, summary_due(o, now)) for o in rows]
    return _page(
        request,
        "list.html",
        viewer=viewer,
        heading=words.t("my_orders") + (f" · {_team_name(config, team)}" if team else ""),
        items=items,
        countdown=lambda due: countdown(due, words),
        local=lambda when: local(when, _zone(request)),
        total=len(items),
        filters=None,
        place=_list_place(request),
    )


def _team_name(config: ConsoleConfig, team: str) -> str:
    return config.routing.team_name(team) if config.routing is not None else team


@router.get("/orders")
def all_orders(
    request: Request,
    status: str = "active",
    category: str = "",
    source: str = "",
    unit: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    viewer = _staff_or_login(request, Permission.READ_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    deps, words = _deps(request), _words(request)
    statuses = ACTIVE_STATES if status == "active" else frozenset({Status(status)}) if status in set(Status) else None
    filters = WorkOrderFilters(
        statuses=statuses or frozenset(),
        category=Category(category) if category in set(Category) else None,
        source=Source(source) if source in set(Source) else None,
        unit_id=unit.strip() or None,
    )
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    now = deps.clock.now()
    query = {"status": status, "category": category, "source": source, "unit": unit}
    return _page(
        request,
        "list.html",
        viewer=viewer,
        heading=words.t("all_orders"),
        items=[(o, summary_due(o, now)) for o in found.items],
        countdown=lambda due: countdown(due, words),
        local=lambda when: local(when, _zone(request)),
        total=found.total,
        place=_list_place(request),
        filters={"values": query, "statuses": list(Status), "categories": list(Category), "sources": list(Source)},
        page=page,
        prev_url=f"/console/orders?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/console/orders?{urlencode({**query, 'page': page + 1})}"
        if page * PAGE_SIZE < found.total
        else None,
    )


# --- the service centre's intake ----------------------------------------------------------------------------


@router.get("/requests/new")
def request_form(request: Request) -> Response:
    viewer = _staff_or_login(request, Permission.CREATE_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    return _request_page(request, viewer, values={}, error="")


def _request_page(request: Request, viewer: Viewer, *, values: Mapping[str, str], error: str) -> HTMLResponse:
    site = _deps(request).site
    return _page(
        request,
        "request.html",
        422 if error else 200,
        viewer=viewer,
        values=values,
        error=error,
        nonce=nonce if forms.valid_nonce(nonce := values.get("nonce")) and nonce else forms.new_nonce(),
        units=sorted(site.units),
        categories=list(Category),
        priorities=[p for p in Priority if p is not Priority.EMERGENCY] + [Priority.EMERGENCY],
    )


@router.post("/requests")
def register(
    request: Request,
    kind: FormText = "",
    unit: FormText = "",
    category: FormText = "",
    description: FormText = "",
    contact_name: FormText = "",
    contact_phone: FormText = "",
    nonce: FormText = "",
    priority: Annotated[str, Form()] = "normal",
    preferred_time: Annotated[str, Form()] = "",
    csrf: OptionalText = None,
) -> Response:
    viewer = _staff_or_login(request, Permission.CREATE_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    if not _csrf_ok(viewer, csrf):
        return _forbidden(request, viewer)
    values = {
        "kind": kind, "unit": unit, "category": category, "description": description, "priority": priority,
        "contact_name": contact_name, "contact_phone": contact_phone, "preferred_time": preferred_time,
        "nonce": nonce,
    }  # fmt: skip
    deps, words = _deps(request), _words(request)
    if not forms.valid_nonce(nonce):
        return _request_page(request, viewer, values=values, error="the form is incomplete; reload the page")
    try:
        form = RequestForm.parse(values, site=deps.site, words=words)
    except IntakeError as exc:
        return _request_page(request, viewer, values=values, error=str(exc))
    outcome: dict[str, str] = {}

    def command(uow: UnitOfWork) -> None:
        outcome["code"] = register_request(
            uow,
            form,
            site_id=deps.site.id,
            nonce=nonce,
            actor=viewer.actor,
            clock=deps.clock,
            sla=_config(request).sla,
            zone=_zone(request),
        )

    error = _run(request, command)
    if error is not None:
        return _request_page(request, viewer, values=values, error=error)
    return RedirectResponse(f"/console/orders/{outcome['code']}?done=register", status_code=303)


# --- statistics ---------------------------------------------------------------------------------------------


def _month(year: int, number: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, number, 1, tzinfo=zone), datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)


@router.get("/stats")
def statistics(request: Request, month: str = "") -> Response:
    viewer = _staff_or_login(request, Permission.READ_SLA)
    if isinstance(viewer, Response):
        return viewer
    deps, words, zone = _deps(request), _words(request), _zone(request)
    today = deps.clock.now().astimezone(zone)
    try:
        year, number = (int(part) for part in month.split("-")) if month else (today.year, today.month)
        start, end = _month(year, number, zone)
    except ValueError:  # not a month we can show (2026-13, 9999-12): this month instead
        year, number = today.year, today.month
        start, end = _month(year, number, zone)
    with deps.session_factory() as session:
        stats = monthly_site_statistics(session, site_id=deps.site.id, year=year, month=number, tz=zone)
        breaches = list_breaches(
            session, site_id=deps.site.id, limit=50, offset=0, detected_from=start, detected_before=end
        )
    return _page(
        request,
        "stats.html",
        viewer=viewer,
        month=f"{year:04d}-{number:02d}",
        stats=stats,
        breaches=breaches.items,
        minutes=lambda value: minutes_text(value, words),
        local=lambda when: local(when, zone),
    )
