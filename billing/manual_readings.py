"""Manual readings (抄表): a register read by a person, for a meter that cannot report (no network, broken
transmitter) or to settle a boundary.

The reading is written to the reading store as the meter's `total` at the time read, so billing uses it like
any reading; the audit trail (who entered what, when, with what note) is kept in `billing_manual_readings`.
Checked first: a meter of the site, a time with a zone and not in the future, a finite register ≥ 0 and, on a
meter with a rollover maximum, not above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from billing.orm import DecimalText
from billing.registers import Replacement
from billing.repository import StatementRepository
from core.clock import Clock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from storage.database import Base
from storage.points import to_point
from storage.sql_types import UtcDateTime
from storage.store import ReadingStore

TABLES = frozenset({"billing_manual_readings"})


class ManualReadingRow(Base):
    """One register read by hand: the audit record behind a `total` point in the reading store."""

    __tablename__ = "billing_manual_readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    meter_id: Mapped[str] = mapped_column(String(64))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    value: Mapped[Decimal] = mapped_column(DecimalText)
    note: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))


@dataclass(frozen=True)
class ManualReading:
    meter_id: str
    read_at: datetime
    value: Decimal
    note: str
    recorded_at: datetime
    recorded_by: str


def check_register(site: Site, meter_id: str, when: datetime, value: Decimal, now: datetime, what: str) -> None:
    """ValueError naming what is wrong with a register entered by hand (`what` names the field)."""
    meter = site.meters.get(meter_id)
    if meter is None:
        raise ValueError(f"no meter {meter_id!r} in site {site.id}")
    if when.tzinfo is None:
        raise ValueError("the time needs a time zone, e.g. 2026-10-15T10:30:00+08:00")
    if when > now:
        raise ValueError(f"the time {when.isoformat()} is in the future (now {now.isoformat()})")
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a register value ≥ 0, got {value!r}")
    if meter.rollover is not None and value > Decimal(repr(meter.rollover)):
        raise ValueError(f"{what} {value} is above meter {meter_id}'s register maximum {meter.rollover:g}")


def record_manual_reading(
    session_factory: Callable[[], Session],
    store: ReadingStore,
    site: Site,
    meter_id: str,
    read_at: datetime,
    value: Decimal,
    *,
    clock: Clock,
    by: str,
    note: str = "",
) -> ManualReading:
    """Check, write the reading to the store, then keep the audit record (the store write first: if it fails
    nothing claims a reading that billing cannot see)."""
    now = clock.now()
    check_register(site, meter_id, read_at, value, now, "value")
    asset = AssetRegistry.from_site(site).get(meter_id)
    store.write([to_point(Reading(meter_id, read_at, {"total": float(value)}), asset)])
    record = ManualReading(meter_id, read_at, value, note, now, by)
    with session_factory() as session, session.begin():
        session.add(
            ManualReadingRow(
                site_id=site.id,
                meter_id=meter_id,
                read_at=read_at,
                value=value,
                note=note,
                recorded_at=now,
                recorded_by=by,
            )
        )
    return record


def list_manual_readings(session_factory: Callable[[], Session], site_id: str) -> list[ManualReading]:
    """Every manual reading of the site, oldest first."""
    with session_factory() as session:
        rows = session.scalars(
            select(ManualReadingRow).where(ManualReadingRow.site_id == site_id).order_by(ManualReadingRow.read_at)
        )
        return [ManualReading(r.meter_id, r.read_at, r.value, r.note, r.recorded_at, r.recorded_by) for r in rows]


class SwapClash(ValueError):
    """A different swap of the same meter at the same time is already recorded."""


def record_swap(
    session_factory: Callable[[], Session], site: Site, swap: Replacement, *, now: datetime, by: str
) -> bool:
    """Check and store a meter swap; the same swap sent again is a retry (False: nothing new stored).

    ValueError names a bad field; SwapClash when another swap of the meter at that time has other registers.
    """
    for name in ("old_final", "new_initial"):
        check_register(site, swap.meter_id, swap.replaced_at, getattr(swap, name), now, name)
    with session_factory() as session, session.begin():
        repository = StatementRepository(session)
        known = repository.replacements(site.id, [swap.meter_id]).get(swap.meter_id, [])
        same_time = next((r for r in known if r.replaced_at == swap.replaced_at), None)
        if same_time is None:
            repository.add_replacement(site.id, swap, recorded_at=now, by=by)
            return True
    if (same_time.old_final, same_time.new_initial) != (swap.old_final, swap.new_initial):
        raise SwapClash(
            f"a swap of {swap.meter_id} at {swap.replaced_at.isoformat()} is already recorded with old final "
            f"{same_time.old_final} and new initial {same_time.new_initial}"
        )
    return False
