"""A virtual community: meters whose registers only grow, elevators making trips, lights by dusk and dawn.

Deterministic for a seed; time is passed in, so the same code serves real time, accelerated time
and backfill. Each asset reports on its own interval from the site file; faults from a scenario
change what the devices report while they are active.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.reading import FieldValue
from core.site import Site
from simulators.devices import (
    CircuitState,
    ElevatorState,
    MeterState,
    local_hour,
)
from simulators.scenarios import Fault, FaultKind, Scenario
from simulators.sensors import SensorState

Message = tuple[str, dict[str, FieldValue] | bytes]
Window = tuple[Fault, datetime, datetime | None]
GRID = timedelta(minutes=15)  # consumption is computed in chunks of this grid, so it follows the day
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

MALFORMED = (b'{"ts": "2026-', b'{"total": "lots"}', b'{"total": NaN}', b"\x00\xff garbage", b"[1, 2, 3]")


class CommunitySimulator:
    def __init__(
        self,
        site: Site,
        *,
        seed: int = 1,
        start: datetime,
        scenario: Scenario | None = None,
        mqtt_only: bool = False,
    ) -> None:
        """`mqtt_only`: leave Modbus-bound assets to the Modbus simulator, which serves them on their own wire."""
        self.site = site
        self.zone = ZoneInfo(site.info.timezone)
        self.start = start
        self.now = start
        rng = random.Random(seed)
        self.meters = {
            m.id: MeterState.create(m, vacant=m.unit is not None and site.units[m.unit].unit.vacant, rng=rng)
            for m in site.meters.values()
        }
        self.elevators = {e.id: ElevatorState.create(e, rng=rng) for e in site.elevators.values()}
        self.circuits = {c.id: CircuitState.create(c, site.areas[c.area].kind) for c in site.circuits.values()}
        self.sensors = {s.id: SensorState.create(site.device_kinds[s.kind], rng=rng) for s in site.sensors.values()}
        self.intervals: dict[str, timedelta] = {
            **{m.id: timedelta(seconds=m.expected_interval_s) for m in site.meters.values()},
            **{s.id: timedelta(seconds=s.expected_interval_s) for s in site.sensors.values()},
            **{e.id: timedelta(seconds=e.expected_interval_s) for e in site.elevators.values()},
            **{c.id: timedelta(seconds=c.expected_interval_s) for c in site.circuits.values()},
        }
        if mqtt_only:
            modbus = {a.id for group in (site.meters, site.elevators, site.circuits, site.sensors)
                      for a in group.values() if a.binding.protocol == "modbus"}  # fmt: skip
            self.intervals = {asset: every for asset, every in self.intervals.items() if asset not in modbus}
        # Stagger first reports so 363 meters do not all speak in the same second.
        self.next_report = {asset: start + interval * rng.random() for asset, interval in self.intervals.items()}
        self.faults: dict[str, list[Window]] = {}
        for fault in scenario.faults if scenario else ():
            if fault.asset not in self.intervals:
                raise ValueError(f"fault {fault.kind.value}: asset {fault.asset!r} is not in the site file")
            if fault.kind is FaultKind.SENSOR_ALARM and (
                fault.asset not in self.sensors or self.sensors[fault.asset].kind.fault is None
            ):
                raise ValueError(f"fault sensor_alarm: {fault.asset!r} is not a sensor of a kind with a fault")
            self.faults.setdefault(fault.asset, []).append((fault, *fault.window(start)))
        self._malformed_count = 0
        self.synced = dict.fromkeys(self.meters, start)  # how far each meter has consumed
        self._chunks: dict[tuple[datetime, datetime], tuple[float, float, bool]] = {}

    def active(self, asset_id: str, when: datetime) -> list[Fault]:
        windows = self.faults.get(asset_id, ())
        return [f for f, begins, ends in windows if begins <= when and (ends is None or when < ends)]

    def advance(self, now: datetime) -> None:
        """Let every meter consume from where it stands until `now` (see `_advance_meter`)."""
        for meter_id in self.meters:
            self._advance_meter(meter_id, now)
        self.now = max(self.now, now)

    def _advance_meter(self, meter_id: str, now: datetime) -> None:
        """Let one meter consume until `now`, in chunks of the 15-minute grid so its use follows the day.

        Meters advance lazily, when they report (or `advance` asks for all): a backfill's step then costs
        nothing for the meters that are not due, which made a week's backfill take most of a minute.
        """
        meter = self.meters[meter_id]
        at = self.synced[meter_id]
        windows = self.faults.get(meter_id, ())
        while at < now:
            chunk_end = min(now, _grid_after(at))
            hours, hour, weekend = self._chunk(at, chunk_end)
            # A flow fault counts for the part of the chunk it overlaps, however short.
            flows = [(f, h) for f, b, e in windows if (h := _overlap_hours(b, e, at, chunk_end)) > 0]
            started = [f for f, b, _ in windows if b <= chunk_end]
            meter.advance(hours, hour, weekend, flows, started)
            at = chunk_end
        self.synced[meter_id] = at

    def _chunk(self, begins: datetime, ends: datetime) -> tuple[float, float, bool]:
        """Hours, local hour of the middle and whether that is a weekend day, for the span; most spans repeat."""
        key = (begins, ends)
        if key not in self._chunks:
            if len(self._chunks) > 4096:
                self._chunks.clear()
            middle = begins + (ends - begins) / 2
            weekend = middle.astimezone(self.zone).weekday() >= 5
            self._chunks[key] = ((ends - begins).total_seconds() / 3600, local_hour(middle, self.zone), weekend)
        return self._chunks[key]

    def resume(self, registers: Mapping[str, float], since: datetime) -> list[str]:
        """Continue from registers saved at `since` (a previous window's end, at or before the start).

        The meters consume from `since` on, so a gap between windows is used as any other time; returns the
        meters of the site that were not in `registers` (they start from the seed's registers).
        """
        if since > self.start:
            raise ValueError(f"registers saved at {since.isoformat()} are after the start {self.start.isoformat()}")
        missing = []
        for meter_id, meter in self.meters.items():
            value = registers.get(meter_id)
            if value is None:
                missing.append(meter_id)
                continue
            meter.register = float(value)
            self.synced[meter_id] = since
        return missing

    def registers(self) -> dict[str, float]:
        """Every meter's register as it stands at `now` (what a next window continues from)."""
        self.advance(self.now)
        return {meter_id: meter.register for meter_id, meter in self.meters.items()}

    def due(self, now: datetime) -> list[Message]:
        """Advance to `now` and return the messages of every asset whose report time has come."""
        self.now = max(self.now, now)
        out: list[Message] = []
        for asset_id, when in self.next_report.items():
            if when > now:
                continue
            interval = self.intervals[asset_id]
            self.next_report[asset_id] = when + interval * (1 + (now - when) // interval)
            if asset_id in self.meters:
                self._advance_meter(asset_id, now)
            message = self.report(asset_id, now)
            if message is not None:
                out.append(message)
        return out

    def step(self, now: datetime) -> list[Message]:
        """Advance to `now` and return one message for every asset (a snapshot of the whole community)."""
        self.advance(now)
        return [m for asset_id in self.intervals if (m := self.report(asset_id, now)) is not None]

    def report(self, asset_id: str, now: datetime) -> Message | None:
        faults = self.active(asset_id, now)
        kinds = {f.kind for f in faults}
        if FaultKind.METER_SILENT in kinds:
            return None
        if FaultKind.MALFORMED_PAYLOADS in kinds:
            self._malformed_count += 1
            return asset_id, MALFORMED[self._malformed_count % len(MALFORMED)]
        ts = now.isoformat()
        if asset_id in self.meters:
            return asset_id, {"ts": ts, "total": round(self.meters[asset_id].register, 3)}
        hour = local_hour(now, self.zone)
        if asset_id in self.sensors:
            hours = self.intervals[asset_id].total_seconds() / 3600
            return asset_id, {"ts": ts, **self.sensors[asset_id].sample(hour, hours, FaultKind.SENSOR_ALARM in kinds)}
        if asset_id in self.elevators:
            starts = {id(f): b for f, b, _ in self.faults.get(asset_id, ())}
            days = [(now - starts[id(f)]).total_seconds() / 86_400 for f in faults]
            return asset_id, {"ts": ts, **self.elevators[asset_id].sample(hour, faults, days)}
        circuit = self.circuits[asset_id]
        return asset_id, {"ts": ts, **circuit.sample(hour, now.astimezone(self.zone), faults)}


def _grid_after(at: datetime) -> datetime:
    """The first boundary of the 15-minute grid after `at`."""
    return at + (GRID - (at - EPOCH) % GRID)


def _overlap_hours(begins: datetime, ends: datetime | None, start: datetime, end: datetime) -> float:
    overlap = (min(end, ends) if ends else end) - max(start, begins)
    return max(0.0, overlap.total_seconds() / 3600)
