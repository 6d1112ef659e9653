"""What the duty room does about a firing alarm: acknowledge it (who, when), shelve it with a reason until a
time, and plan maintenance windows during which an asset's alarms are suppressed (shown, not chased).

Every step is a row of its own (`alarm_actions`, `maintenance_windows`; migration branch `alarm_handling`,
storage/migrations/versions/0013_alarm_handling.py), so the record is complete and nothing is overwritten.
An alarm episode is named by its `alarm_id` (rule, asset and start); a new episode starts unhandled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime, one_of

MAX_SHELVE = timedelta(days=30)  # a shelf is for a while, not for ever: a forgotten alarm must come back
MAX_WINDOW = timedelta(days=31)
MAX_REASON = 500


class HandlingAction(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"


class HandlingRefused(ValueError):
    """An acknowledge, shelve or maintenance window that cannot be recorded; the message says why."""


class AlarmActionRow(Base):
    __tablename__ = "alarm_actions"
    __table_args__ = (
        CheckConstraint(one_of("action", [a.value for a in HandlingAction]), name="action_known"),
        Index("ix_alarm_actions_alarm", "site_id", "alarm_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    alarm_id: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(64))
    asset_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(MAX_REASON), default="")
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class MaintenanceWindowRow(Base):
    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_maintenance_windows_asset", "site_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    asset_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(MAX_REASON))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


TABLES = frozenset({"alarm_actions", "maintenance_windows"})


@dataclass(frozen=True)
class HandlingStep:
    action: HandlingAction
    actor: str
    at: datetime
    reason: str = ""
    until: datetime | None = None


@dataclass(frozen=True)
class Handling:
    """An alarm episode's record, oldest first, and what holds now."""

    steps: tuple[HandlingStep, ...] = ()

    @property
    def acknowledged(self) -> HandlingStep | None:
        return next((s for s in self.steps if s.action is HandlingAction.ACKNOWLEDGED), None)

    def shelved(self, now: datetime) -> HandlingStep | None:
        """The latest shelf still running at `now`."""
        shelves = [s for s in self.steps if s.action is HandlingAction.SHELVED and s.until and s.until > now]
        return shelves[-1] if shelves else None


@dataclass(frozen=True)
class MaintenanceWindow:
    id: int
    asset_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime

    def covers(self, when: datetime) -> bool:
        return self.starts_at <= when < self.ends_at


def episode_key(alarm_id: str | None, rule_id: str, asset_id: str, since: datetime | None) -> str:
    """The id an alarm episode's handling is recorded under: the engine's alarm id, else rule, asset and start."""
    return alarm_id or f"{rule_id}:{asset_id}:{since.isoformat() if since else ''}"


def _reason(text: str, *, required: bool) -> str:
    cleaned = " ".join(text.split())
    if required and not cleaned:
        raise HandlingRefused("a reason is required")
    if len(cleaned) > MAX_REASON:
        raise HandlingRefused(f"the reason is {len(cleaned)} characters; at most {MAX_REASON}")
    if any(not ch.isprintable() for ch in cleaned):
        raise HandlingRefused("the reason holds control characters")
    return cleaned


def _key(site_id: str, alarm_id: str, rule_id: str, asset_id: str, actor: str) -> None:
    for name, value, limit in (("site", site_id, 64), ("alarm", alarm_id, 200), ("rule", rule_id, 64),
                               ("asset", asset_id, 64), ("actor", actor, 200)):  # fmt: skip
        if not value or len(value) > limit:
            raise HandlingRefused(f"the {name} id must be 1 to {limit} characters")


def acknowledge(
    session: Session, *, site_id: str, alarm_id: str, rule_id: str, asset_id: str, actor: str, now: datetime
) -> bool:
    """Record that `actor` saw this alarm episode; False (nothing written) when it was acknowledged already."""
    _key(site_id, alarm_id, rule_id, asset_id, actor)
    if handling_of(session, site_id, [alarm_id]).get(alarm_id, Handling()).acknowledged is not None:
        return False
    session.add(AlarmActionRow(site_id=site_id, alarm_id=alarm_id, rule_id=rule_id, asset_id=asset_id,
                               action=HandlingAction.ACKNOWLEDGED.value, actor=actor, at=now, reason=""))  # fmt: skip
    return True


def shelve(
    session: Session, *, site_id: str, alarm_id: str, rule_id: str, asset_id: str, actor: str, reason: str,
    until: datetime, now: datetime,
) -> None:  # fmt: skip
    """Shelve the episode until `until` (after now, within MAX_SHELVE) with a reason."""
    _key(site_id, alarm_id, rule_id, asset_id, actor)
    text = _reason(reason, required=True)
    if until.tzinfo is None:
        raise HandlingRefused("the end of the shelf needs a time zone")
    if not now < until <= now + MAX_SHELVE:
        raise HandlingRefused(f"shelve until a time after now and at most {MAX_SHELVE.days} days ahead")
    session.add(AlarmActionRow(site_id=site_id, alarm_id=alarm_id, rule_id=rule_id, asset_id=asset_id,
                               action=HandlingAction.SHELVED.value, actor=actor, at=now, reason=text,
                               until=until))  # fmt: skip


def handling_of(session: Session, site_id: str, alarm_ids: Iterable[str]) -> dict[str, Handling]:
    """Each episode's record (episodes without one are left out)."""
    wanted = sorted(set(alarm_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(AlarmActionRow)
        .where(AlarmActionRow.site_id == site_id, AlarmActionRow.alarm_id.in_(wanted))
        .order_by(AlarmActionRow.at, AlarmActionRow.id)
    )
    found: dict[str, list[HandlingStep]] = {}
    for row in rows:
        step = HandlingStep(HandlingAction(row.action), row.actor, row.at, row.reason, row.until)
        found.setdefault(row.alarm_id, []).append(step)
    return {alarm_id: Handling(tuple(steps)) for alarm_id, steps in found.items()}


def plan_maintenance(
    session: Session, *, site_id: str, asset_id: str, starts_at: datetime, ends_at: datetime, reason: str,
    actor: str, now: datetime,
) -> int:  # fmt: skip
    """Record a maintenance window of an asset; its id. The window may not end in the past."""
    _key(site_id, "-", "-", asset_id, actor)
    text = _reason(reason, required=True)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise HandlingRefused("the window's times need a time zone")
    if ends_at <= starts_at:
        raise HandlingRefused("the window must end after it starts")
    if ends_at - starts_at > MAX_WINDOW:
        raise HandlingRefused(f"a window is at most {MAX_WINDOW.days} days; plan longer work as several")
    if ends_at <= now:
        raise HandlingRefused("the window has already ended")
    row = MaintenanceWindowRow(site_id=site_id, asset_id=asset_id, starts_at=starts_at, ends_at=ends_at,
                               reason=text, created_by=actor, created_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def maintenance_windows(session: Session, site_id: str, *, ending_after: datetime) -> list[MaintenanceWindow]:
    """The site's windows not yet over at `ending_after`, soonest first."""
    rows = session.scalars(
        select(MaintenanceWindowRow)
        .where(MaintenanceWindowRow.site_id == site_id, MaintenanceWindowRow.ends_at > ending_after)
        .order_by(MaintenanceWindowRow.starts_at, MaintenanceWindowRow.id)
    )
    return [
        MaintenanceWindow(r.id, r.asset_id, r.starts_at, r.ends_at, r.reason, r.created_by, r.created_at) for r in rows
    ]


def in_maintenance(windows: Sequence[MaintenanceWindow], asset_id: str, when: datetime) -> MaintenanceWindow | None:
    return next((w for w in windows if w.asset_id == asset_id and w.covers(when)), None)
