"""Simulated Modbus meters: field values that move the way a real meter's registers do.

Electricity and gas follow the community's daily load profile; water comes in usage events (a shower,
a tap, irrigation) that start at random, more often at the daily peaks. Counters (`total`,
`import_kwh`) only grow; instantaneous fields (power, current, voltage, frequency, flow) follow them.
Fields are recognised by name and unit, so an inline register map gets the same behaviour.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from collectors.modbus.config import RegisterMap
from collectors.modbus.devices import ModbusDevice
from core.site import Site

COUNTERS = frozenset({"total", "import_kwh"})
POWER_FACTOR = 0.95
STEP_S = 300.0  # integrate in 5-minute steps so the daily profile shapes the curve
MIN_EVENT_S, MAX_EVENT_S = 120.0, 900.0
MIN_FLOW_LPM, MAX_FLOW_LPM = 4.0, 12.0


def daily_profile(hour: float) -> float:
    """0..1 load through a local day: a base load, a morning peak near 07:30 and a larger evening one near 19:30."""
    morning = math.exp(-(((hour - 7.5) / 1.2) ** 2))
    evening = math.exp(-(((hour - 19.5) / 1.8) ** 2))
    return min(1.0, 0.08 + 0.55 * morning + 0.9 * evening)


class Behaviour(StrEnum):
    ELECTRICITY = "electricity"  # `peak` is the power in kW at the top of the daily profile
    GAS = "gas"  # `peak` is the flow in m³/h at the top of the daily profile
    WATER = "water"  # `peak` is usage events per hour at the top of the daily profile
    STATIC = "static"  # values stay as set


@dataclass
class SimulatedMeter:
    """The engineering values of one device's fields (in each field's unit), advanced through time."""

    register_map: RegisterMap
    behaviour: Behaviour
    peak: float
    zone: ZoneInfo
    rng: random.Random
    values: dict[str, float] = field(default_factory=dict)
    flow_lpm: float = 0.0  # water: the flow of the usage event in progress
    event_left_s: float = 0.0

    @classmethod
    def create(
        cls,
        register_map: RegisterMap,
        behaviour: Behaviour,
        *,
        peak: float,
        zone: ZoneInfo,
        rng: random.Random,
        now: datetime,
    ) -> SimulatedMeter:
        """A meter with a believable starting total and instantaneous values for `now`."""
        meter = cls(register_map, behaviour, peak, zone, rng)
        total = round(rng.uniform(100, 3000), 3) if behaviour is not Behaviour.STATIC else 0.0
        for f in register_map.fields:
            meter.values[f.name] = total if f.name in COUNTERS else 0.0
        meter.advance(now, 0.0)
        return meter

    def set(self, name: str, value: float) -> None:
        self.register_map.get(name)  # KeyError naming the fields if there is no such field
        self.values[name] = value

    def advance(self, start: datetime, seconds: float) -> None:
        """Consume for `seconds` from `start` (aware), and refresh the instantaneous fields."""
        done = 0.0
        while True:  # at least once, so `advance(now, 0)` fills the instantaneous fields
            step = min(STEP_S, seconds - done)
            local = (start + timedelta(seconds=done)).astimezone(self.zone)
            hour = local.hour + local.minute / 60 + local.second / 3600
            if self.behaviour is Behaviour.WATER:
                self._water(hour, step)
            elif self.behaviour is not Behaviour.STATIC:
                self._metered(hour, step)
            done += step
            if done >= seconds:
                return

    def _metered(self, hour: float, seconds: float) -> None:
        # Electricity in kW (so kWh accrue) or gas in m³/h; a little noise keeps curves from looking drawn.
        power = self.peak * daily_profile(hour) * self.rng.uniform(0.9, 1.1)
        self._count(power * seconds / 3600)
        if self.behaviour is Behaviour.ELECTRICITY:
            self._electrical(power * 1000)
        else:
            self._put("rate", power)

    def _water(self, hour: float, seconds: float) -> None:
        done = 0.0
        while done < seconds:
            if self.event_left_s > 0:
                step = min(self.event_left_s, seconds - done)
                self._count(self.flow_lpm * step / 60_000)  # litres per minute → m³
                self.event_left_s -= step
                done += step
                if self.event_left_s <= 0:
                    self.flow_lpm = 0.0
                continue
            # Arrivals are memoryless, so re-drawing at each step follows the profile's changing rate.
            wait = self.rng.expovariate(max(self.peak * daily_profile(hour), 1e-6) / 3600)
            if wait >= seconds - done:
                break
            done += wait
            self.flow_lpm = self.rng.uniform(MIN_FLOW_LPM, MAX_FLOW_LPM)
            self.event_left_s = self.rng.uniform(MIN_EVENT_S, MAX_EVENT_S)
        self._put("rate", self.flow_lpm * 60 / 1000)  # m³/h

    def _count(self, amount: float) -> None:
        for name in COUNTERS & self.values.keys():
            self.values[name] += amount

    def _electrical(self, watts: float) -> None:
        by_unit: dict[str | None, list[str]] = {}
        for f in self.register_map.fields:
            by_unit.setdefault(f.unit, []).append(f.name)
        phases = max(1, len(by_unit.get("V", [])))
        for name in by_unit.get("V", []):
            self.values[name] = round(self.rng.gauss(230.0, 1.5), 1)
        volts = self.values[by_unit["V"][0]] if "V" in by_unit else 230.0
        per_phase = watts / phases
        for name in by_unit.get("W", []):
            self.values[name] = round(watts if name == "rate" else per_phase, 1)
        for name in by_unit.get("A", []):
            self.values[name] = round(per_phase / (volts * POWER_FACTOR), 3)
        for name in by_unit.get("Hz", []):
            self.values[name] = round(self.rng.gauss(50.0, 0.02), 2)
        self._put("power_factor", POWER_FACTOR)

    def _put(self, name: str, value: float) -> None:
        if name in self.values:
            self.values[name] = value


# At the daily peak: kW for electricity, m³/h for gas, usage events per hour for water; a unit's meter, then an area's.
PEAK = {Behaviour.ELECTRICITY: (1.2, 5.0), Behaviour.GAS: (0.15, 0.6), Behaviour.WATER: (2.0, 4.0)}


def meters_for_site(
    site: Site, devices: Sequence[ModbusDevice], *, now: datetime, seed: int
) -> dict[str, SimulatedMeter]:
    """A simulated meter per device, sized from the site; elevators and circuits on Modbus stay as set."""
    zone = ZoneInfo(site.info.timezone)
    rng = random.Random(seed)
    meters: dict[str, SimulatedMeter] = {}
    for device in devices:
        behaviour, peak = Behaviour.STATIC, 0.0
        config = site.meters.get(device.asset_id)
        if config is not None:
            behaviour = Behaviour(config.utility.value)
            peak = PEAK[behaviour][config.area is not None] * rng.uniform(0.5, 1.5)
        meters[device.asset_id] = SimulatedMeter.create(
            device.register_map, behaviour, peak=peak, zone=zone, rng=random.Random(rng.random()), now=now
        )
    return meters
