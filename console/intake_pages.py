"""The service centre's intake form (報修登記) for residents' repair requests and complaints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from access.roles import Permission
from console import forms
from console.access import Viewer
from console.intake import IntakeError, RequestForm, register_request
from console.web import (
    FormText,
    OptionalText,
    app_deps,
    console_config,
    csrf_ok,
    forbidden,
    render,
    run,
    site_zone,
    staff_or_login,
    words_for,
)
from workorders.unit_of_work import UnitOfWork
from workorders.values import Category, Priority

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/requests/new")
def request_form(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.CREATE_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    return _request_page(request, viewer, values={}, error="")


def _request_page(request: Request, viewer: Viewer, *, values: Mapping[str, str], error: str) -> HTMLResponse:
    site = app_deps(request).site
    return render(
        request,
        "request.html",
        422 if error else 200,
        viewer=viewer,
        values=values,
        error=error,
        nonce=nonce if forms.valid_nonce(nonce := values.get("nonce")) and nonce else forms.new_nonce(),
        units=sorted(site.units),
        categories=list(Category),
        priorities=list(Priority),  # 紧急 / 重要 / 一般 / 低: most urgent first, 一般 preselected
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
    viewer = staff_or_login(request, Permission.CREATE_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    if not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    values = {
        "kind": kind, "unit": unit, "category": category, "description": description, "priority": priority,
        "contact_name": contact_name, "contact_phone": contact_phone, "preferred_time": preferred_time,
        "nonce": nonce,
    }  # fmt: skip
    deps, words = app_deps(request), words_for(request)
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
            sla=console_config(request).sla,
            zone=site_zone(request),
        )

    error = run(request, command)
    if error is not None:
        return _request_page(request, viewer, values=values, error=error)
    return RedirectResponse(f"/console/orders/{outcome['code']}?done=register", status_code=303)
