"""Completing a task: the checklist results kept with who and when, failed items opening a work order.

Our own crew's record closes the planned order's work (acknowledged → on site → resolved) in the same
transaction. A contractor's visit is entered by our staff with the contractor's person named, and the planned
order is resolved only when a staff member signs the record off (`sign_off`), as the job rules ask.
A measured value outside its limits, or a check that failed, opens one follow-up order for the asset listing
every failed item, with the planned order's code in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from sqlalchemy import select

from core.clock import Clock
from maintenance.config import ChecklistItem, ItemKind
from maintenance.loading import Maintenance, PlannedTask
from maintenance.orders import category_of, session_of
from maintenance.orm import OccurrenceRow, OccurrenceStatus
from storage.photos import PhotoError, check_key
from workorders.lifecycle import Status
from workorders.messagebus import MessageBus
from workorders.service import ResidentRequest, open_request
from workorders.unit_of_work import UnitOfWork, run_in_transaction
from workorders.values import Priority, Source

MAX_NOTE = 2000
MAX_PHOTOS_PER_ITEM = 6


class RecordRefused(ValueError):
    """A record that cannot be kept as sent; the message names the item and what to change."""


@dataclass(frozen=True)
class ItemResult:
    """One checklist line as the crew filled it in."""

    item_id: str
    ok: bool | None = None
    value: float | None = None
    note: str = ""
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Completed:
    occurrence_id: int
    order_code: str | None
    followup_code: str | None
    failed: tuple[str, ...] = field(default=())
    awaiting_sign_off: bool = False


def check_results(task_items: Sequence[ChecklistItem], results: Mapping[str, ItemResult]) -> list[dict[str, Any]]:
    """The results as stored (one dict per item, in the checklist's order); RecordRefused names what is missing."""
    known = {item.id for item in task_items}
    unknown = sorted(set(results) - known)
    if unknown:
        raise RecordRefused(f"items {', '.join(unknown)[:200]} are not on this checklist")
    rows: list[dict[str, Any]] = []
    for item in task_items:
        got = results.get(item.id, ItemResult(item.id))
        note = got.note.strip()
        if len(note) > MAX_NOTE:
            raise RecordRefused(f"item {item.id}: the note is longer than {MAX_NOTE} characters")
        if len(got.photos) > MAX_PHOTOS_PER_ITEM:
            raise RecordRefused(f"item {item.id}: at most {MAX_PHOTOS_PER_ITEM} photos")
        try:
            photos = [check_key(key) for key in got.photos]
        except PhotoError as exc:
            raise RecordRefused(f"item {item.id}: {exc}") from None
        row: dict[str, Any] = {"item": item.id, "text": item.text, "kind": item.kind.value, "note": note,
                               "photos": photos}  # fmt: skip
        if item.kind is ItemKind.MEASURE:
            if got.value is None or not math.isfinite(got.value):
                raise RecordRefused(f"item {item.id} ({item.text[:40]}): enter the measured value")
            row.update(value=got.value, unit=item.unit, min=item.min, max=item.max,
                       ok=not item.out_of_limits(got.value))  # fmt: skip
        elif item.kind is ItemKind.CHECK:
            if got.ok is None:
                raise RecordRefused(f"item {item.id} ({item.text[:40]}): mark it passed or failed")
            row["ok"] = got.ok
            if not got.ok and not note:
                raise RecordRefused(f"item {item.id}: say what is wrong in the note")
        elif item.kind is ItemKind.PHOTO:
            if not photos:
                raise RecordRefused(f"item {item.id} ({item.text[:40]}): add a photo")
            row["ok"] = True
        else:
            row["ok"] = True
        rows.append(row)
    return rows


def failed_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        if row.get("ok") is False:
            if row["kind"] == ItemKind.MEASURE.value:
                limits = " ~ ".join("" if v is None else f"{v:g}" for v in (row["min"], row["max"]))
                lines.append(f"{row['item']} {row['text'][:60]}: {row['value']:g} {row['unit'] or ''}（限值 {limits}）")
            else:
                lines.append(f"{row['item']} {row['text'][:60]}: 不合格 {row['note']}")
    return lines


def complete(
    bus: MessageBus, maintenance: Maintenance, occurrence_id: int, results: Mapping[str, ItemResult], *,
    actor: str, clock: Clock, tz: tzinfo, contractor_person: str = "",
) -> Completed:  # fmt: skip
    """Keep the checklist of an open occurrence; see the module's docstring for what follows."""

    def work(uow: UnitOfWork) -> Completed:
        return run_in_transaction(uow, lambda: _complete(uow))

    def _complete(uow: UnitOfWork) -> Completed:
        session = session_of(uow)
        row = session.scalar(select(OccurrenceRow).where(OccurrenceRow.id == occurrence_id).with_for_update())
        if row is None or row.site_id != maintenance.site_id:
            raise RecordRefused(f"no maintenance task {occurrence_id} at this site")
        if row.status != OccurrenceStatus.OPEN.value:
            raise RecordRefused(f"task {occurrence_id} is already {row.status}; it was recorded before")
        planned = maintenance.task(row.task_key)
        if planned is None:
            raise RecordRefused(f"task {row.task_key} is no longer in the maintenance file; it cannot be recorded")
        if row.contractor_id is not None and not contractor_person.strip():
            raise RecordRefused("a contractor's visit: name the contractor's person who did the work")
        stored = check_results(planned.task.items, results)
        now = clock.now()
        failures = failed_lines(stored)
        followup = _open_followup(uow, planned, row, failures, actor=actor, clock=clock, tz=tz) if failures else None
        row.results = stored
        row.photos = sorted({key for r in stored for key in r["photos"]})
        row.status = OccurrenceStatus.DONE.value
        row.completed_at, row.completed_by = now, actor
        row.done_by_contractor = contractor_person.strip()[:128] or None
        row.followup_codes = [followup] if followup else []
        if row.contractor_id is None:
            _finish_order(uow, row, actor, f"保养完成：{len(stored)} 项，{len(failures)} 项不合格", clock)
        return Completed(row.id, row.work_order_code, followup, tuple(failures), row.contractor_id is not None)

    return bus.run(work)


def sign_off(bus: MessageBus, maintenance: Maintenance, occurrence_id: int, *, actor: str, clock: Clock) -> None:
    """Our staff sign a contractor's visit record off; the planned order is resolved with it."""

    def work(uow: UnitOfWork) -> None:
        def inner() -> None:
            row = session_of(uow).scalar(select(OccurrenceRow).where(OccurrenceRow.id == occurrence_id))
            if row is None or row.site_id != maintenance.site_id:
                raise RecordRefused(f"no maintenance task {occurrence_id} at this site")
            if row.status != OccurrenceStatus.DONE.value:
                raise RecordRefused(f"task {occurrence_id} has no visit record to sign off yet")
            if row.signed_off_at is not None:
                raise RecordRefused(f"task {occurrence_id} was signed off by {row.signed_off_by}")
            row.signed_off_at, row.signed_off_by = clock.now(), actor
            _finish_order(uow, row, actor, f"委外保养记录已签核（{row.done_by_contractor}）", clock)

        run_in_transaction(uow, inner)

    bus.run(work)


def _finish_order(uow: UnitOfWork, row: OccurrenceRow, actor: str, resolution: str, clock: Clock) -> None:
    if row.work_order_id is None:
        return
    order = uow.work_orders.get(row.work_order_id)
    if order is None or order.status not in (Status.OPEN, Status.ACKNOWLEDGED, Status.ON_SITE):
        return  # cancelled or already resolved by hand: the record stands on its own
    now = clock.now()
    if order.status is Status.OPEN:
        order.acknowledge(actor=actor, at=now)
    if order.status is Status.ACKNOWLEDGED:
        order.arrive(actor=actor, at=now)
    order.resolve(actor=actor, resolution=resolution, at=now)


def _open_followup(
    uow: UnitOfWork, planned: PlannedTask, row: OccurrenceRow, failures: list[str], *, actor: str, clock: Clock,
    tz: tzinfo,
) -> str:  # fmt: skip
    asset = planned.asset
    request = ResidentRequest(
        site_id=row.site_id, category=category_of(asset.kind), priority=Priority.HIGH if asset.kind == "elevator"
        else Priority.NORMAL, title=f"保养发现不合格 · {asset.name} · {len(failures)} 项",
        description=f"{planned.task.name}（{row.work_order_code}）发现：\n" + "\n".join(failures),
        reporter=f"plan:{row.plan_id}/{row.task_id}", actor=actor, asset_id=asset.id, building_id=asset.building,
        source=Source.STAFF,
    )  # fmt: skip
    return open_request(uow, request, clock=clock, tz=tz).code


def parse_result_form(form: Mapping[str, str], photos: Mapping[str, Sequence[str]]) -> dict[str, ItemResult]:
    """Form fields `ok:<item>` (pass/fail), `value:<item>`, `note:<item>` and stored photo keys per item."""
    items = {key.split(":", 1)[1] for key in form if ":" in key} | set(photos)
    out: dict[str, ItemResult] = {}
    for item in sorted(items):
        ok_text = form.get(f"ok:{item}", "").strip()
        value_text = form.get(f"value:{item}", "").strip().replace(",", ".")
        try:
            value = float(value_text) if value_text else None
        except ValueError:
            raise RecordRefused(f"item {item[:32]}: {value_text[:20]!r} is not a number") from None
        ok = {"pass": True, "fail": False}.get(ok_text)
        out[item] = ItemResult(item, ok=ok, value=value, note=form.get(f"note:{item}", ""),
                               photos=tuple(photos.get(item, ())))  # fmt: skip
    return out
