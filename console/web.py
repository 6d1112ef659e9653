"""What every console page shares: dependencies, the viewer (link holder or signed-in staff), rendering,
redirects, and running work-order commands so their failures show on the page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from access.roles import Permission
from console import forms
from console.access import ConsoleConfig, Viewer
from console.i18n import Words, pick_lang
from console.ports import ConsoleDeps
from console.session_store import is_live
from console.sessions import COOKIE, LANG_COOKIE, csrf_matches
from console.users import current_member
from workorders.application import Refused, entry_bus, execute
from workorders.commands import Command
from workorders.domain import WorkOrder
from workorders.lifecycle import WorkOrderConflict
from workorders.links import LinkRefused
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import UnitOfWork

log = logging.getLogger("facilities.console")
STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 50
TEMPLATES = Environment(
    loader=PackageLoader("console", "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True
)
# Scripts only from our own files (the countdown); inline style attributes are the SVG chart's.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


def app_deps(request: Request) -> ConsoleDeps:
    return cast(ConsoleDeps, request.app.state.deps)


def console_config(request: Request) -> ConsoleConfig:
    return cast(ConsoleConfig, request.app.state.console)


def words_for(request: Request) -> Words:
    return Words(pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)))


def site_zone(request: Request) -> ZoneInfo:
    """The site's time zone: order codes and dates on the pages follow its calendar."""
    return ZoneInfo(app_deps(request).site.info.timezone)


def signed_in(request: Request) -> Viewer | None:
    """The signed-in staff member with their role on this console's site, if the cookie is genuine, its session
    live on the server (not signed out, ended or expired), its account active and unchanged since, and still
    holding a role on the site."""
    deps, config = app_deps(request), console_config(request)
    now = deps.clock.now()
    claims = config.sessions.read(request.cookies.get(COOKIE), now=now)
    if claims is None:
        return None
    with deps.session_factory() as session:
        if not is_live(session, key=claims.session_key, user_id=claims.user_id, now=now):
            return None
        member = current_member(session, claims.user_id, claims.session_version, site_id=deps.site.id)
    return None if member is None else Viewer(staff=member, csrf=claims.csrf)


def client_address(request: Request) -> str:
    """Where the request came from (behind a proxy: the address the proxy reports, when uvicorn trusts it)."""
    return request.client.host if request.client is not None else "unknown"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    words = words_for(request)
    deps = app_deps(request)
    query = dict(request.query_params)
    query.pop("lang", None)
    here = request.url.path + ("?" + urlencode(query) if query else "")
    html = TEMPLATES.get_template(name).render(
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
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse(f"/console/login?{urlencode({'next': target})}", status_code=303)


def staff_or_login(request: Request, permission: Permission) -> Viewer | Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login(request)
    if not viewer.may(permission):
        return render(request, "message.html", 403, viewer=viewer, title_key="forbidden", text="")
    return viewer


def safe_next(target: str | None) -> str:
    """Only our own pages: an open redirect would let a phishing link borrow our sign-in page."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def order_url(code: str, viewer: Viewer, **extra: str) -> str:
    query = {"k": viewer.token} if viewer.token else {}
    query.update(extra)
    return f"/console/orders/{code}" + ("?" + urlencode(query) if query else "")


def load_order(request: Request, code: str) -> WorkOrder | None:
    deps = app_deps(request)
    with deps.session_factory() as session:
        return SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=deps.site.id, code=code)


def order_viewer(request: Request, order: WorkOrder, token: str | None) -> Viewer | Response:
    """A link holder for this order, else a signed-in staff member; a refused link explains why."""
    refusal: LinkRefused | None = None
    if token:
        try:
            grant = console_config(request).links.verify(token, order_id=order.id, now=app_deps(request).clock.now())
            return Viewer(grant=grant, token=token)
        except LinkRefused as exc:
            refusal = exc
            log.warning("refused a link to %s: %s", order.code, exc.problem)
    staff = signed_in(request)
    if staff is not None:
        return staff if staff.may(Permission.READ_WORK_ORDERS) else forbidden(request, staff)
    if refusal is not None:
        text = words_for(request).t(f"link_{refusal.problem.value}")
        return render(request, "message.html", 403, viewer=None, title_key="link_refused", text=text)
    return to_login(request)


def order_for(request: Request, code: str, token: str | None) -> tuple[WorkOrder, Viewer] | Response:
    """The order in the path and who may see it, or the page that says why not (404, refused link, sign-in)."""
    order = load_order(request, code)
    if order is None:
        return not_found(request, signed_in(request))
    viewer = order_viewer(request, order, token)
    return viewer if isinstance(viewer, Response) else (order, viewer)


def forbidden(request: Request, viewer: Viewer | None) -> HTMLResponse:
    return render(request, "message.html", 403, viewer=viewer, title_key="forbidden", text="")


def csrf_ok(viewer: Viewer, presented: str | None) -> bool:
    """A link's token is itself the proof; a cookie session must echo its CSRF token."""
    if viewer.grant is not None:
        return True
    return viewer.csrf is not None and csrf_matches(viewer.csrf, presented)


def not_found(request: Request, viewer: Viewer | None = None) -> HTMLResponse:
    return render(request, "message.html", 404, viewer=viewer, title_key="not_found", text="")


def unavailable(request: Request, viewer: Viewer | None = None) -> HTMLResponse:
    """503: a store behind the page does not answer now (the photo bucket); nothing is lost, try again."""
    return render(request, "message.html", 503, viewer=viewer, title_key="unavailable", text="")


def run(request: Request, command: Command | Callable[[UnitOfWork], object]) -> str | None:
    """Run a work-order command on the bus; None when it went through, else the message to show (409/422/404)."""
    try:
        execute(entry_bus(app_deps(request)), command)
    except Refused as exc:
        return exc.message
    except WorkOrderConflict as exc:  # the API answers these 409 as JSON; the console shows them on the page
        return str(exc)
    return None


def asset_name(request: Request, asset_id: str | None) -> str:
    """An elevator's or circuit's name as the site file gives it (1号楼1号梯), else its id."""
    if asset_id is None:
        return ""
    site = app_deps(request).site
    named = site.elevators.get(asset_id) or site.circuits.get(asset_id)
    return f"{named.name} ({asset_id})" if named is not None and named.name else asset_id


def once(
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
    deps = app_deps(request)
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
