"""Sign-in, sign-out, the language switch and the stylesheet.

Signing in needs the sign-in form's CSRF token, bound to a pre-session cookie set with the form (another site
cannot sign a browser in to an account of its choosing); a wrong password costs the (username, address) a
growing wait (`console.throttle`), never the account; every attempt, refusal and sign-out is in the audit log
(`access.audit`). The session is kept server-side (`console.session_store`), so signing out ends it there too.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from access import audit
from access.audit import SignInEvent
from console.i18n import LANGS
from console.session_store import SIGNED_OUT, end_session, open_session
from console.sessions import COOKIE, LANG_COOKIE, LOGIN_COOKIE, csrf_matches, new_pre_session
from console.users import NoRoleOnSite, sign_in
from console.web import (
    STATIC,
    FormText,
    OptionalText,
    app_deps,
    client_address,
    console_config,
    forbidden,
    log,
    render,
    safe_next,
    signed_in,
    to_login,
)

STATIC_FILES = {
    "console.css": "text/css",
    "countdown.js": "text/javascript",
    "live.js": "text/javascript",
    "patrol-scan.js": "text/javascript",
}
LOGIN_FORM_TTL = timedelta(hours=2)  # a sign-in page left open longer is sent again with a fresh token
router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
def home(request: Request) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login(request)
    return RedirectResponse("/console/my", status_code=303)


def _login_page(
    request: Request, status: int = 200, *, next: str | None, error: str = "", fresh: bool = False, **extra: object
) -> Response:
    """The sign-in form with the token bound to this browser's pre-session cookie (a new cookie when it has none,
    or when `fresh`)."""
    kept = None if fresh else request.cookies.get(LOGIN_COOKIE)
    pre_session = kept or new_pre_session()
    token = console_config(request).sessions.login_token(pre_session)
    response = render(
        request, "login.html", status, viewer=None, next=safe_next(next), error=error, csrf=token, **extra
    )
    if kept:
        return response
    response.set_cookie(
        LOGIN_COOKIE,
        pre_session,
        max_age=int(LOGIN_FORM_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=console_config(request).secure_cookies,
        path="/console/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next=next)


@router.post("/login")
def login(
    request: Request,
    username: FormText = "",
    password: FormText = "",
    next: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    deps, config = app_deps(request), console_config(request)
    now, client = deps.clock.now(), client_address(request)

    def note(event: SignInEvent, detail: str = "") -> None:
        audit.record(deps.session_factory, event=event, username=username, client=client, at=now, detail=detail)

    pre_session = request.cookies.get(LOGIN_COOKIE)
    if not pre_session or not csrf_matches(config.sessions.login_token(pre_session), csrf):
        # Another site's form, or a page kept open past its token: nothing is checked, the form is sent again.
        note(SignInEvent.REFUSED_CSRF)
        log.warning("console sign-in for %r from %s refused: no valid sign-in form token", username[:64], client)
        return _login_page(request, 403, next=next, error="expired", fresh=True)
    wait = config.throttle.wait(username, client, now)
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        note(SignInEvent.THROTTLED, f"wait {seconds} s")
        log.warning("console sign-in for %r from %s refused: wait %d s", username[:64], client, seconds)
        page = _login_page(request, 429, next=next, error="wait", seconds=seconds, minutes=-(-seconds // 60))
        page.headers["Retry-After"] = str(seconds)
        return page
    try:
        with deps.session_factory() as session:
            member = sign_in(session, username, password, site_id=deps.site.id)
    except NoRoleOnSite as exc:
        # The password was right (no throttle), but this console's site is not theirs: say so, let nobody in.
        note(SignInEvent.FAILED, f"no role on site {exc.site_id}")
        log.warning("console sign-in for %r from %s refused: %s", username[:64], client, exc)
        return _login_page(request, 403, next=next, error="no_site", site=deps.site.info.name)
    if member is None:
        config.throttle.failed(username, client, now)
        note(SignInEvent.FAILED)
        log.warning("console sign-in refused for %r from %s", username[:64], client)
        return _login_page(request, 401, next=next, error="wrong")
    config.throttle.succeeded(username, client)
    cookie = config.sessions.issue(user_id=member.user_id, session_version=member.session_version, now=now)
    claims = config.sessions.read(cookie, now=now)
    if claims is None:  # issued a moment ago with this clock: it reads back unless the clock is broken
        raise RuntimeError("a session cookie just issued does not read back")
    with deps.session_factory() as session:
        open_session(
            session, key=claims.session_key, user_id=member.user_id, client=client, now=now,
            expires_at=claims.expires_at,
        )  # fmt: skip
        audit.add(
            session, event=SignInEvent.SIGNED_IN, username=member.username, user_id=member.user_id, client=client,
            at=now,
        )  # fmt: skip
        session.commit()
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
def logout(request: Request, csrf: OptionalText = None) -> Response:
    """End the session on the server and in the browser; a sign-out form from another site does nothing."""
    viewer = signed_in(request)
    if viewer is not None and viewer.staff is not None:
        if viewer.csrf is None or not csrf_matches(viewer.csrf, csrf):
            return forbidden(request, viewer)
        deps, config = app_deps(request), console_config(request)
        now = deps.clock.now()
        claims = config.sessions.read(request.cookies.get(COOKIE), now=now)
        with deps.session_factory() as session:
            if claims is not None:
                end_session(session, key=claims.session_key, reason=SIGNED_OUT, now=now)
            member = viewer.staff
            audit.add(
                session, event=SignInEvent.SIGNED_OUT, username=member.username, user_id=member.user_id,
                client=client_address(request), at=now,
            )  # fmt: skip
            session.commit()
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
    """The stylesheet, the countdown and the QR scanner scripts; nothing else is served from the folder."""
    media = STATIC_FILES.get(name)
    if media is None:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=media, headers={"Cache-Control": "max-age=3600"})
