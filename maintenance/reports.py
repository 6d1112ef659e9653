"""What was planned and what was done: lists for the console, the CSV export, the monthly completion rate.

`planned_completion(session_factory, site_id=…, year=…, month=…, tz=…)` is what the monthly operations report
(月度小结) calls: the occurrences due in that month (statutory-inspection reminders excluded), how many were
done by their due date, done late, or not done, and the misses by name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maintenance.orm import OccurrenceRow, OccurrenceStatus, Trigger


@dataclass(frozen=True)
class OccurrenceView:
    id: int
    task_key: str
    plan_id: str
    task_id: str
    asset_id: str
    trigger: str
    due_on: date
    due_at: datetime
    team: str | None
    contractor_id: str | None
    work_order_code: str | None
    status: str
    completed_at: datetime | None
    completed_by: str | None
    done_by_contractor: str | None
    signed_off_at: datetime | None
    signed_off_by: str | None
    results: list[dict[str, Any]]
    photos: list[str]
    followup_codes: list[str]

    @property
    def on_time(self) -> bool:
        return self.completed_at is not None and self.completed_at <= self.due_at

    def overdue(self, now: datetime) -> bool:
        return self.status == OccurrenceStatus.OPEN.value and now >= self.due_at


def _view(row: OccurrenceRow) -> OccurrenceView:
    return OccurrenceView(
        row.id, row.task_key, row.plan_id, row.task_id, row.asset_id, row.trigger, row.due_on, row.due_at,
        row.team, row.contractor_id, row.work_order_code, row.status, row.completed_at, row.completed_by,
        row.done_by_contractor, row.signed_off_at, row.signed_off_by, list(row.results or []),
        list(row.photos or []), list(row.followup_codes or []),
    )  # fmt: skip


def occurrences(
    session_factory: Callable[[], Session], site_id: str, *, asset_id: str | None = None,
    status: str | None = None, due_from: date | None = None, due_before: date | None = None, limit: int = 500,
) -> list[OccurrenceView]:  # fmt: skip
    query = select(OccurrenceRow).where(OccurrenceRow.site_id == site_id)
    if asset_id is not None:
        query = query.where(OccurrenceRow.asset_id == asset_id)
    if status is not None:
        query = query.where(OccurrenceRow.status == status)
    if due_from is not None:
        query = query.where(OccurrenceRow.due_on >= due_from)
    if due_before is not None:
        query = query.where(OccurrenceRow.due_on < due_before)
    query = query.order_by(OccurrenceRow.due_on.desc(), OccurrenceRow.id.desc()).limit(limit)
    with session_factory() as session:
        return [_view(row) for row in session.scalars(query)]


def occurrence(session_factory: Callable[[], Session], site_id: str, occurrence_id: int) -> OccurrenceView | None:
    with session_factory() as session:
        row = session.get(OccurrenceRow, occurrence_id)
        return _view(row) if row is not None and row.site_id == site_id else None


@dataclass(frozen=True)
class Miss:
    task_key: str
    asset_id: str
    due_on: date
    work_order_code: str | None
    late: bool  # done after the due date (else: not done at all)


@dataclass(frozen=True)
class PlannedCompletion:
    due: int
    on_time: int
    late: int
    not_done: int
    misses: tuple[Miss, ...]

    @property
    def rate(self) -> float | None:
        """Done by the due date / due; None for a month with nothing due."""
        return self.on_time / self.due if self.due else None


def planned_completion(
    session_factory: Callable[[], Session], *, site_id: str, year: int, month: int, tz: tzinfo
) -> PlannedCompletion:
    """Planned maintenance due in the month (site calendar): completion by the due date, and the misses."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1-12")
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    rows = [
        v
        for v in occurrences(session_factory, site_id, due_from=start, due_before=end, limit=100_000)
        if v.trigger != Trigger.INSPECTION.value and v.status != OccurrenceStatus.CANCELLED.value
    ]
    misses = tuple(
        Miss(v.task_key, v.asset_id, v.due_on, v.work_order_code, late=v.completed_at is not None)
        for v in sorted(rows, key=lambda v: (v.due_on, v.task_key))
        if not v.on_time
    )
    on_time = sum(1 for v in rows if v.on_time)
    late = sum(1 for m in misses if m.late)
    return PlannedCompletion(len(rows), on_time, late, len(misses) - late, misses)


CSV_COLUMNS = (
    "task", "asset", "trigger", "due_on", "order", "status", "completed_at", "completed_by", "contractor_person",
    "signed_off_by", "item", "result", "value", "unit", "note", "photos",
)  # fmt: skip


def records_csv(views: Sequence[OccurrenceView], tz: tzinfo) -> str:
    """One line per checklist item of each occurrence (an open one: one line with no item), site local times."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def local(when: datetime | None) -> str:
        return "" if when is None else when.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    for v in views:
        head = [v.task_key, v.asset_id, v.trigger, v.due_on.isoformat(), v.work_order_code or "", v.status]
        head += [local(v.completed_at), v.completed_by or "", v.done_by_contractor or "", v.signed_off_by or ""]
        if not v.results:
            writer.writerow([*head, "", "", "", "", "", ""])
        for r in v.results:
            verdict = "" if r.get("ok") is None else ("pass" if r["ok"] else "fail")
            value = "" if r.get("value") is None else f"{r['value']:g}"
            writer.writerow([*head, r["item"], verdict, value, r.get("unit") or "", _cell(r.get("note", "")),
                             " ".join(r.get("photos", []))])  # fmt: skip
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet must not run what a note says (CSV injection): text starting with = + - @ is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
