"""Walking a patrol: start a route, record each checkpoint (by its code) with the checklist's results, answer what
the sensors reported, complete it. A failed checklist item opens a work order at the checkpoint's place through
`open_order` (the entry point passes the work-order application service, so alerts follow as for any order).

Every refusal is a `ValueError` whose message names what was wrong (the console shows it, the CLI prints it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import Clock
from patrols.config import Checkpoint, PatrolBook
from patrols.orm import PatrolRow, SensorNoteRow, VisitRow
from patrols.records import Patrol, SensorNote, Visit
from patrols.schedule import slot_of
from workorders.service import ResidentRequest
from workorders.values import Category, Priority, Source

OpenOrder = Callable[[ResidentRequest], str]  # opens the order, answers its code
RESULTS = ("ok", "fail")
VERDICTS = ("confirmed", "explained")
MAX_NOTE = 1000


class PatrolNotFound(ValueError):
    pass


def start_patrol(
    session_factory: Callable[[], Session], book: PatrolBook, *, site_id: str, route_id: str, by: str,
    clock: Clock, zone: ZoneInfo,
) -> uuid.UUID:  # fmt: skip
    """A new patrol of `route_id` for the slot now falls in; the walker's unfinished one of that slot if any."""
    route = book.route(route_id)
    now = clock.now()
    slot = slot_of(route, now, zone)
    with session_factory() as session, session.begin():
        open_one = session.scalars(
            select(PatrolRow.id).where(
                PatrolRow.site_id == site_id, PatrolRow.route_id == route_id, PatrolRow.slot_at == slot,
                PatrolRow.started_by == by, PatrolRow.completed_at.is_(None),
            )
        ).first()  # fmt: skip
        if open_one is not None:
            return open_one
        patrol_id = uuid.uuid4()
        session.add(
            PatrolRow(id=patrol_id, site_id=site_id, route_id=route_id, slot_at=slot, started_at=now,
                      started_by=by, completed_at=None, note="")
        )  # fmt: skip
    return patrol_id


def code_of(typed: str) -> str:
    """A scanned or typed checkpoint code as the patrols file spells it: spaces and case forgiven."""
    return "".join(typed.split()).upper()


def checkpoint_for(book: PatrolBook, patrol: Patrol, typed: str) -> Checkpoint:
    """The route's checkpoint a scanned or typed code names (spaces and case forgiven)."""
    code = code_of(typed)
    if len(code) > 16 or code not in book.route(patrol.route_id).checkpoints:
        known = ", ".join(book.route(patrol.route_id).checkpoints)
        raise ValueError(f"code {typed[:20]!r} is not a checkpoint of this route; its codes: {known}")
    return book.checkpoints[code]


def record_visit(
    session_factory: Callable[[], Session], book: PatrolBook, patrol_id: uuid.UUID, *, code: str,
    results: Mapping[str, str], note: str, by: str, clock: Clock, open_order: OpenOrder | None,
    photos: tuple[str, ...] = (),
) -> Visit:  # fmt: skip
    """Record one checkpoint; a failed item opens a work order with the checkpoint's place in it."""
    patrol = load_patrol(session_factory, patrol_id)
    if patrol.completed_at is not None:
        raise ValueError("this patrol is already completed; start a new one")
    point = checkpoint_for(book, patrol, code)
    if point.code in patrol.visited:
        raise ValueError(f"checkpoint {point.code} is already recorded in this patrol")
    checked = _checked(point, results)
    note = _note(note)
    failed = [item for item, result in checked.items() if result == "fail"]
    order_code = None
    if failed and open_order is not None:
        order_code = open_order(_finding(point, patrol, failed, note, by))
    visit = VisitRow(
        patrol_id=patrol_id, checkpoint=point.code, visited_at=clock.now(), visited_by=by, results=checked,
        note=note, finding=bool(failed), work_order_code=order_code, photos=list(photos),
    )  # fmt: skip
    try:
        with session_factory() as session, session.begin():
            session.add(visit)
    except IntegrityError:  # the same checkpoint recorded a moment ago from another phone
        raise ValueError(f"checkpoint {point.code} is already recorded in this patrol") from None
    return _visit(visit)


def note_sensor(
    session_factory: Callable[[], Session], patrol_id: uuid.UUID, *, key: str, kind: str, verdict: str,
    note: str, by: str, clock: Clock,
) -> None:  # fmt: skip
    """The walker's answer to one thing the sensors reported: confirmed on site, or explained (a note needed)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict[:20]!r} must be one of {', '.join(VERDICTS)}")
    note = _note(note)
    if verdict == "explained" and not note:
        raise ValueError("an explanation needs a note saying why")
    if not key or len(key) > 200 or len(kind) > 24:
        raise ValueError("the sensor finding is not known; reload the page")
    load_patrol(session_factory, patrol_id)
    with session_factory() as session, session.begin():
        row = session.scalars(
            select(SensorNoteRow).where(SensorNoteRow.patrol_id == patrol_id, SensorNoteRow.key == key)
        ).first()
        if row is None:
            row = SensorNoteRow(patrol_id=patrol_id, key=key)
            session.add(row)
        row.kind, row.verdict, row.note, row.noted_at, row.noted_by = kind, verdict, note, clock.now(), by


def complete_patrol(
    session_factory: Callable[[], Session], book: PatrolBook, patrol_id: uuid.UUID, *, clock: Clock
) -> Patrol:
    """Close the patrol once every checkpoint of its route is recorded."""
    patrol = load_patrol(session_factory, patrol_id)
    missing = [code for code in book.route(patrol.route_id).checkpoints if code not in patrol.visited]
    if missing:
        raise ValueError(f"checkpoints not yet recorded: {', '.join(missing)}")
    with session_factory() as session, session.begin():
        row = session.get(PatrolRow, patrol_id)
        if row is not None and row.completed_at is None:
            row.completed_at = clock.now()
    return load_patrol(session_factory, patrol_id)


def load_patrol(session_factory: Callable[[], Session], patrol_id: uuid.UUID) -> Patrol:
    with session_factory() as session:
        row = session.get(PatrolRow, patrol_id)
        if row is None:
            raise PatrolNotFound(f"no patrol {patrol_id}")
        return _patrol(session, row)


def list_patrols(
    session_factory: Callable[[], Session], site_id: str, *, since: datetime, until: datetime,
    completed_only: bool = False,
) -> list[Patrol]:  # fmt: skip
    """The site's patrols started in [since, until), oldest first."""
    query = select(PatrolRow).where(
        PatrolRow.site_id == site_id, PatrolRow.started_at >= since, PatrolRow.started_at < until
    )
    if completed_only:
        query = query.where(PatrolRow.completed_at.is_not(None))
    with session_factory() as session:
        return [_patrol(session, row) for row in session.scalars(query.order_by(PatrolRow.started_at))]


def _patrol(session: Session, row: PatrolRow) -> Patrol:
    visits = session.scalars(select(VisitRow).where(VisitRow.patrol_id == row.id).order_by(VisitRow.visited_at))
    notes = session.scalars(select(SensorNoteRow).where(SensorNoteRow.patrol_id == row.id))
    return Patrol(
        id=row.id, site_id=row.site_id, route_id=row.route_id, slot_at=row.slot_at, started_at=row.started_at,
        started_by=row.started_by, completed_at=row.completed_at, visits=tuple(_visit(v) for v in visits),
        sensor_notes=tuple(
            SensorNote(n.key, n.kind, n.verdict, n.note, n.noted_at, n.noted_by) for n in notes
        ),
    )  # fmt: skip


def _visit(row: VisitRow) -> Visit:
    return Visit(
        row.checkpoint, row.visited_at, row.visited_by, dict(row.results), row.note, row.finding,
        row.work_order_code, tuple(row.photos or ()),
    )  # fmt: skip


def _checked(point: Checkpoint, results: Mapping[str, str]) -> dict[str, str]:
    unknown = [item for item in results if item not in point.items]
    if unknown:
        raise ValueError(f"{point.code} has no checklist item {unknown[0][:60]!r}")
    missing = [item for item in point.items if item not in results]
    if missing:
        raise ValueError(f"{point.code}: answer every checklist item; missing: {missing[0]}")
    bad = {item: value for item, value in results.items() if value not in RESULTS}
    if bad:
        item, value = next(iter(bad.items()))
        raise ValueError(f"{point.code}: {item}: result {value[:20]!r} must be ok or fail")
    return {item: results[item] for item in point.items}


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValueError(f"the note is {len(note)} characters; keep it under {MAX_NOTE}")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in note):
        raise ValueError("the note contains control characters; retype it")
    return note


def _finding(point: Checkpoint, patrol: Patrol, failed: list[str], note: str, by: str) -> ResidentRequest:
    place = " · ".join(part for part in (point.building, point.area, point.unit) if part)
    description = "\n".join([f"巡检 {patrol.route_id} · {point.code} {point.name}" + (f" ({place})" if place else ""),
                             *(f"✗ {item}" for item in failed), *([note] if note else [])])  # fmt: skip
    return ResidentRequest(
        site_id=patrol.site_id, category=Category(point.category), priority=Priority.NORMAL,
        title=f"巡检发现 Patrol finding: {point.name}"[:120], description=description, reporter=by, actor=by,
        building_id=point.building or None, unit_id=point.unit or None, source=Source.STAFF,
    )  # fmt: skip
