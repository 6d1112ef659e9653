"""One work order: its page (evidence chart, countdown, history) and what people do to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from access.orders import MOVE_PERMISSIONS, Actor, guard
from access.roles import Permission
from console import forms
from console.access import Viewer
from console.chart import evidence_field, evidence_series, render_evidence_chart
from console.dispatch import choices, default_choice, team_label
from console.i18n import Words
from console.order_facts import actor_label, calls, car_now, history, reporter_label, rule_title
from console.orm import ResidentRequestRow
from console.timeline import render_timeline, timeline_series
from console.views import (
    ACTIONS,
    NEEDS_NOTE,
    TARGETS,
    countdown,
    due_of,
    local,
)
from console.web import (
    FormText,
    OptionalText,
    app_deps,
    asset_name,
    console_config,
    csrf_ok,
    forbidden,
    load_order,
    not_found,
    once,
    order_for,
    order_url,
    render,
    run,
    site_zone,
    staff_or_login,
    words_for,
)
from workorders import commands as cmd
from workorders.domain import WorkOrder
from workorders.lifecycle import ACTIVE_STATES, TRANSITIONS, Status
from workorders.service import Guard
from workorders.values import AlarmOccurrence, Satisfaction

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/orders/{code}")
def order_page(request: Request, code: str, k: str | None = None, done: str | None = None) -> Response:
    found = order_for(request, code, k)
    if isinstance(found, Response):
        return found
    order, viewer = found
    return _order_response(request, order, viewer, done=done)


def _order_response(
    request: Request, order: WorkOrder, viewer: Viewer, *, done: str | None = None, error: str = "", status: int = 200
) -> HTMLResponse:
    deps, words, zone = app_deps(request), words_for(request), site_zone(request)
    now = deps.clock.now()
    due = due_of(order, now)
    teams = console_config(request).teams_for
    moves = [ACTIONS[to] for to in sorted(TRANSITIONS[order.status]) if viewer.may_move(to, order, teams)]
    with deps.session_factory() as session:
        intake = session.get(ResidentRequestRow, order.id)
    routing = console_config(request).routing
    resident = (intake.contact_name, intake.contact_phone) if intake is not None else None
    alarm = order_alarm(order)
    return render(
        request,
        "order.html",
        status,
        viewer=viewer,
        order=order,
        due=due,
        countdown=countdown(due, words),
        moves=[move for move in moves if move != "cancel"],
        may_cancel="cancel" in moves,
        car=car_now(deps.store, deps.registry, order.asset_id),
        calls=calls(routing, order, resident, now),
        reporter=reporter_label(order.reporter, words.lang),
        history=history(order),
        actor_label=lambda actor: actor_label(actor, words.lang),
        evidence_title=rule_title(alarm.rule_id, words.lang) if alarm is not None else "",
        evidence_message=alarm.message if alarm is not None else "",
        team_name=team_label(routing, order.team),
        cross_trade=request.query_params.get("warn") == "cross",
        cross_to=request.query_params.get("to", ""),
        needs_note=NEEDS_NOTE,
        chart=_chart(request, order, words),
        local=lambda when: local(when, zone),
        done=done if done in {*TARGETS, "comment", "follow_up", "register", "assign", "already"} else None,
        error=error or (words.t("dispatch_failed") if request.query_params.get("error") == "dispatch" else ""),
        intake=intake,
        nonce=forms.new_nonce(),
        follow_up_nonce=forms.new_nonce(),  # each form its own: sending one must not use up the other
        satisfactions=list(Satisfaction),
        may_comment=viewer.may_on(Permission.COMMENT_WORK_ORDERS, order, teams),
        may_follow_up=viewer.may_on(Permission.FOLLOW_UP_WORK_ORDERS, order, teams)
        and order.status in {Status.RESOLVED, Status.CLOSED},
        places=_places(request, order),
        may_dispatch=viewer.staff is not None
        and viewer.may_on(Permission.ASSIGN_WORK_ORDERS, order, teams)
        and order.status in ACTIVE_STATES,
        dispatch_choices=choices(routing),
        dispatch_default=default_choice(routing, order),
        dispatch_nonce=forms.new_nonce(),
    )


def order_alarm(order: WorkOrder) -> AlarmOccurrence | None:
    """The alarm the order is for: the latest of its own rule (alarms of orders it superseded come along)."""
    own = [alarm for alarm in order.alarms if alarm.rule_id == order.rule_id]
    found = own or order.alarms
    return found[-1] if found else None


def _places(request: Request, order: WorkOrder) -> str:
    site = app_deps(request).site
    building = site.buildings.get(order.building_id or "")
    parts = [site.info.name, (building.name or building.id) if building else (order.building_id or "")]
    parts += [order.unit_id or "", asset_name(request, order.asset_id)]
    return " · ".join(part for part in parts if part)


def _chart(request: Request, order: WorkOrder, words: Words) -> str:
    """The alarm the order is for now (its latest): the triggering field around the alarm time with its
    threshold, or for a state alarm the car's state and door as a timeline; "" without an asset."""
    alarm = order_alarm(order)
    if alarm is None or order.asset_id is None:
        return ""
    field, threshold = evidence_field(alarm.evidence)
    deps = app_deps(request)
    if field is None:
        timeline = timeline_series(
            deps.store, registry=deps.registry, asset_id=order.asset_id, alarm_at=alarm.raised_at, now=deps.clock.now()
        )
        end = min(alarm.raised_at + timedelta(minutes=10), deps.clock.now())
        return render_timeline(
            timeline,
            alarm_at=alarm.raised_at,
            end=end,
            tz=site_zone(request),
            labels={"state": words.t("car_state"), "door": words.t("car_door")},
            value_label=lambda field, value: words.t(f"{field}_{value}") if words.has(f"{field}_{value}") else value,
            alarm_label=words.t("alarm"),
            empty_text=words.t("no_readings"),
        )
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
        tz=site_zone(request),
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
    found = order_for(request, code, k)
    if isinstance(found, Response):
        return found
    order, viewer = found
    target, teams = TARGETS.get(action), console_config(request).teams_for
    if target is None or not viewer.may_move(target, order, teams) or not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    if order.status is target:  # a double tap, or a colleague was quicker: done already, nothing to repeat
        return RedirectResponse(order_url(code, viewer, done="already"), status_code=303)
    who = _who(viewer)
    # The same check again inside the command's transaction: a dispatch elsewhere a moment ago counts.
    error = run(request, _move(order.id, action, viewer.actor, note, guard(who, MOVE_PERMISSIONS[target], teams)))
    if error is not None:
        fresh = load_order(request, code) or order
        return _order_response(request, fresh, viewer, error=error, status=409)
    if note.strip() and action not in NEEDS_NOTE:
        run(request, _comment(order.id, viewer.actor, note, guard(who, Permission.COMMENT_WORK_ORDERS, teams)))
    return RedirectResponse(order_url(code, viewer, done=action), status_code=303)


def _who(viewer: Viewer) -> Actor:
    identity = viewer.identity
    if identity is None:  # order_for hands out no anonymous viewer
        raise ValueError("an anonymous viewer cannot act")
    return identity


def _move(order_id: UUID, action: str, actor: str, note: str, check: Guard) -> cmd.OrderCommand:
    moves: Mapping[str, Callable[[], cmd.OrderCommand]] = {
        "acknowledge": lambda: cmd.Acknowledge(order_id=order_id, actor=actor, guard=check),
        "arrive": lambda: cmd.Arrive(order_id=order_id, actor=actor, guard=check),
        "resolve": lambda: cmd.Resolve(order_id=order_id, actor=actor, resolution=note, guard=check),
        "close": lambda: cmd.Close(order_id=order_id, actor=actor, guard=check),
        "cancel": lambda: cmd.Cancel(order_id=order_id, actor=actor, reason=note, guard=check),
    }
    return moves[action]()


def _comment(order_id: UUID, actor: str, text: str, check: Guard) -> cmd.AddComment:
    return cmd.AddComment(order_id=order_id, actor=actor, text=text, guard=check)


@router.post("/orders/{code}/comment")
def comment(
    request: Request,
    code: str,
    text: FormText = "",
    nonce: FormText = "",
    k: OptionalText = None,
    csrf: OptionalText = None,
) -> Response:
    found = order_for(request, code, k)
    if isinstance(found, Response):
        return found
    order, viewer = found
    teams = console_config(request).teams_for
    if not viewer.may_on(Permission.COMMENT_WORK_ORDERS, order, teams) or not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    check = guard(_who(viewer), Permission.COMMENT_WORK_ORDERS, teams)
    return once(
        request,
        nonce,
        "comment",
        lambda: run(request, _comment(order.id, viewer.actor, text, check)),
        order_url(code, viewer, done="comment"),
        lambda error: _order_response(request, load_order(request, code) or order, viewer, error=error, status=422),
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
    order = load_order(request, code)
    if order is None:
        return not_found(request)
    viewer = staff_or_login(request, Permission.FOLLOW_UP_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    teams = console_config(request).teams_for
    permission = Permission.FOLLOW_UP_WORK_ORDERS
    if (
        not viewer.may_on(permission, order, teams)
        or not csrf_ok(viewer, csrf)
        or satisfaction not in set(Satisfaction)
    ):
        return forbidden(request, viewer)
    check = guard(_who(viewer), permission, teams)
    command = cmd.RecordFollowUp(
        order_id=order.id, actor=viewer.actor, satisfaction=Satisfaction(satisfaction), feedback=feedback.strip(),
        guard=check,
    )  # fmt: skip

    return once(
        request,
        nonce,
        "follow_up",
        lambda: run(request, command),
        order_url(code, viewer, done="follow_up"),
        lambda error: _order_response(request, load_order(request, code) or order, viewer, error=error, status=409),
    )
