"""Each asset's readings to the rules in time order, although the spool may hold them interleaved.

The spool keeps commit order. Several producers commit one asset's readings interleaved: collectors in one MQTT
share group (docs/scaling.md), a collector whose broker redelivers after a reconnect, a poller and MQTT for one
asset. The engine ignores a reading no newer than the last one it judged for its asset, so an interleaved
reading would be lost to the rules. The buffer holds each reading `hold` (clock time) after it was taken; once
a reading's hold is over, it releases every held reading of that asset up to that reading's time, sorted by
time. A reading that comes later than `hold` behind a newer one is still late: the engine counts and skips it.
Arrival time, not device time, decides, so a device whose clock is wrong delays nothing by more than `hold`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.reading import Reading


@dataclass(frozen=True, slots=True)
class _Held:
    spool_id: int
    reading: Reading
    taken_at: datetime


class ReorderBuffer:
    def __init__(self, hold: timedelta) -> None:
        if hold < timedelta(0):
            raise ValueError(f"reorder hold {hold} is negative")
        self.hold = hold
        self._held: dict[str, list[_Held]] = {}

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())

    def add(self, rows: Iterable[tuple[int, Reading]], now: datetime) -> None:
        for spool_id, reading in rows:
            self._held.setdefault(reading.asset_id, []).append(_Held(spool_id, reading, now))

    def release(self, now: datetime) -> list[Reading]:
        """The readings due at `now`, sorted by (asset, time); with no hold, everything added."""
        released: list[Reading] = []
        ripe = now - self.hold
        for asset in sorted(self._held):
            held = self._held[asset]
            due = [h.reading.ts for h in held if h.taken_at <= ripe]
            if not due:
                continue
            cutoff = max(due)  # an older reading that came later goes with the newer one it belongs before
            out = sorted((h for h in held if h.reading.ts <= cutoff), key=lambda h: (h.reading.ts, h.spool_id))
            released += [h.reading for h in out]
            kept = [h for h in held if h.reading.ts > cutoff]
            if kept:
                self._held[asset] = kept
            else:
                del self._held[asset]
        return released

    def safe_through(self, taken_through: int) -> int:
        """The spool id the consumer's cursor may move to: below every reading still held (kept across a crash)."""
        oldest = min((h.spool_id for held in self._held.values() for h in held), default=None)
        return taken_through if oldest is None else min(taken_through, oldest - 1)

    def tick_horizon(self, now: datetime) -> datetime:
        """How far a tick may let time pass: not past a held reading, which may yet stop a duration."""
        earliest = min((h.reading.ts for held in self._held.values() for h in held), default=None)
        horizon = now - self.hold
        if earliest is not None and earliest <= horizon:
            horizon = earliest - timedelta(microseconds=1)
        return horizon

    def next_release_in(self, now: datetime) -> float | None:
        """Seconds until the next held reading is due, or None when nothing is held."""
        first = min((h.taken_at for held in self._held.values() for h in held), default=None)
        return None if first is None else max(0.0, (first + self.hold - now).total_seconds())
