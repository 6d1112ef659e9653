"""Late and missed patrols: a slot nobody started within `late_after`, or nobody completed within the window.

`check_patrols` runs on the hub's scheduler (every few minutes) with the injected clock. Each notice is written
once per (route, slot, kind) in `patrol_notices` and handed to `notify` in the same transaction, so the alert
outbox row and the record of having sent it commit together: a crash between them sends nothing twice and
loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from patrols.config import PatrolBook, Route
from patrols.orm import PatrolNoticeRow, PatrolRow
from patrols.schedule import lookback, slots_between

log = logging.getLogger("facilities.patrols")


@dataclass(frozen=True)
class PatrolNotice:
    site_id: str
    route: Route
    slot_at: datetime
    kind: str  # late | missed
    supervisor_team: str | None


Notify = Callable[[Session, PatrolNotice], None]


def check_patrols(
    session_factory: Callable[[], Session], book: PatrolBook, *, site_id: str, zone: ZoneInfo, now: datetime,
    notify: Notify,
) -> list[PatrolNotice]:  # fmt: skip
    """Every late or missed slot not told before, each told once; the notices sent."""
    sent: list[PatrolNotice] = []
    for route in book.routes.values():
        for slot in slots_between(route, now - lookback(route), now, zone):
            for kind, due in (("late", slot + route.late_after), ("missed", slot + route.deadline)):
                if now < due:
                    continue
                notice = PatrolNotice(site_id, route, slot, kind, book.supervisor(route))
                if _tell(session_factory, notice, now=now, notify=notify):
                    sent.append(notice)
    return sent


def _tell(session_factory: Callable[[], Session], notice: PatrolNotice, *, now: datetime, notify: Notify) -> bool:
    route, slot = notice.route, notice.slot_at
    try:
        with session_factory() as session, session.begin():
            if _already(session, notice) or _kept(session, notice):
                return False
            session.add(
                PatrolNoticeRow(site_id=notice.site_id, route_id=route.id, slot_at=slot, kind=notice.kind,
                                noticed_at=now)
            )  # fmt: skip
            session.flush()  # a second hub that got here first fails the unique key here, before notifying
            notify(session, notice)
    except IntegrityError:
        return False
    log.warning("patrol %s of %s is %s", route.id, slot.isoformat(), notice.kind)
    return True


def _already(session: Session, notice: PatrolNotice) -> bool:
    return session.scalars(
        select(PatrolNoticeRow.id).where(
            PatrolNoticeRow.site_id == notice.site_id, PatrolNoticeRow.route_id == notice.route.id,
            PatrolNoticeRow.slot_at == notice.slot_at, PatrolNoticeRow.kind == notice.kind,
        )
    ).first() is not None  # fmt: skip


def _kept(session: Session, notice: PatrolNotice) -> bool:
    """Whether the slot was started (late) or completed (missed) in time."""
    route, slot = notice.route, notice.slot_at
    query = select(PatrolRow.id).where(
        PatrolRow.site_id == notice.site_id, PatrolRow.route_id == route.id, PatrolRow.slot_at == slot
    )
    if notice.kind == "late":
        query = query.where(PatrolRow.started_at <= slot + route.late_after)
    else:
        query = query.where(PatrolRow.completed_at.is_not(None), PatrolRow.completed_at <= slot + route.deadline)
    return session.scalars(query).first() is not None
