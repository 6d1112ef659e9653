"""Sign-in, sign-out, the language switch and the stylesheet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from console.i18n import LANGS
from console.sessions import COOKIE, LANG_COOKIE
from console.users import sign_in
from console.web import (
    STATIC,
    FormText,
    OptionalText,
    app_deps,
    console_config,
    log,
    render,
    safe_next,
    signed_in,
    to_login,
)

STATIC_FILES = {"console.css": "text/css", "countdown.js": "text/javascript"}
router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
def home(request: Request) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login(request)
    return RedirectResponse("/console/my", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", viewer=None, next=safe_next(next), error="")


@router.post("/login")
def login(request: Request, username: FormText = "", password: FormText = "", next: OptionalText = None) -> Response:
    deps, config = app_deps(request), console_config(request)
    now = deps.clock.now()
    locked = config.throttle.locked_until(username, now)
    if locked is not None:
        log.warning("console sign-in for %r refused: locked out until %s", username[:64], locked.isoformat())
        minutes = max(1, round((locked - now).total_seconds() / 60))
        return render(request, "login.html", 429, viewer=None, next=safe_next(next), error="locked", minutes=minutes)
    with deps.session_factory() as session:
        member = sign_in(session, username, password)
    if member is None:
        config.throttle.failed(username, now)
        log.warning("console sign-in refused for %r", username[:64])
        return render(request, "login.html", 401, viewer=None, next=safe_next(next), error="wrong")
    config.throttle.succeeded(username)
    cookie = config.sessions.issue(user_id=member.user_id, session_version=member.session_version, now=deps.clock.now())
    response = RedirectResponse(safe_next(next), status_code=303)
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
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LANGS:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86_400, samesite="lax", path="/console")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The stylesheet and the countdown script; nothing else is served from the folder."""
    media = STATIC_FILES.get(name)
    if media is None:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=media, headers={"Cache-Control": "max-age=3600"})
