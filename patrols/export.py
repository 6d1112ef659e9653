"""Patrol records as CSV (one row per checkpoint visited): who, when, the checklist results, notes, orders."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from patrols.config import PatrolBook
from patrols.records import Patrol

HEADER = (
    "patrol_id", "route", "route_name", "slot", "started_at", "started_by", "completed_at", "checkpoint",
    "checkpoint_name", "visited_at", "visited_by", "failed_items", "results", "note", "work_order", "photos",
)  # fmt: skip


def _cell(text: str) -> str:
    """No formula injection in a spreadsheet: a cell starting =, +, - or @ is read as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def patrols_csv(patrols: Iterable[Patrol], book: PatrolBook, zone: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)

    def when(value: object) -> str:
        return value.astimezone(zone).isoformat(timespec="minutes") if hasattr(value, "astimezone") else ""

    for patrol in patrols:
        route = book.routes.get(patrol.route_id)
        for visit in patrol.visits or ():
            point = book.checkpoints.get(visit.checkpoint)
            failed = [item for item, result in visit.results.items() if result == "fail"]
            writer.writerow(
                [
                    str(patrol.id), patrol.route_id, route.name if route else "", when(patrol.slot_at),
                    when(patrol.started_at), _cell(patrol.started_by), when(patrol.completed_at), visit.checkpoint,
                    point.name if point else "", when(visit.visited_at), _cell(visit.visited_by),
                    _cell("; ".join(failed)), json.dumps(visit.results, ensure_ascii=False), _cell(visit.note),
                    visit.work_order_code or "", " ".join(visit.photos),
                ]
            )  # fmt: skip
    return out.getvalue()
