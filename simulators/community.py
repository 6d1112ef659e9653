"""A virtual community: meters whose registers only grow, elevators making trips, lights by day and night.

Deterministic for a seed; time is passed in, so the same code serves real time and backfill.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.config import Site
from core.reading import FieldValue
from core.site import Utility

# Typical household use per hour at the daily peak (kWh or m³), before the daily profile shapes it.
PEAK_HOURLY_USE = {Utility.ELECTRICITY: 1.2, Utility.WATER: 0.06, Utility.GAS: 0.15}


def daily_profile(hour: float) -> float:
    """0..1 activity: a morning peak near 07:30 and a larger evening peak near 19:30."""
    morning = math.exp(-(((hour - 7.5) / 1.2) ** 2))
    evening = math.exp(-(((hour - 19.5) / 1.8) ** 2))
    return 0.08 + 0.55 * morning + 0.9 * evening


@dataclass
class MeterState:
    total: float
    factor: float
    vacant: bool


class CommunitySimulator:
    def __init__(self, site: Site, *, seed: int = 1, start: datetime) -> None:
        self.site = site
        self.zone = ZoneInfo(site.info.timezone)
        self.rng = random.Random(seed)
        self.now = start
        self.meters: dict[str, MeterState] = {}
        for meter in site.meters.values():
            vacant = meter.unit is not None and site.units[meter.unit].unit.vacant
            self.meters[meter.id] = MeterState(
                total=round(self.rng.uniform(100, 3000), 3), factor=self.rng.uniform(0.5, 1.5), vacant=vacant
            )
        self.floors = {e.id: e.lowest_floor + 1 for e in site.elevators.values()}

    def step(self, now: datetime) -> list[tuple[str, dict[str, FieldValue]]]:
        """Advance to `now` and return one message body per asset."""
        hours = max(0.0, (now - self.now).total_seconds() / 3600)
        self.now = now
        local = now.astimezone(self.zone)
        hour = local.hour + local.minute / 60
        out: list[tuple[str, dict[str, FieldValue]]] = []
        for meter_id, state in self.meters.items():
            utility = self.site.meters[meter_id].utility
            if not state.vacant:
                state.total += PEAK_HOURLY_USE[utility] * state.factor * daily_profile(hour) * hours
            out.append((meter_id, {"ts": now.isoformat(), "total": round(state.total, 3)}))
        for elevator in self.site.elevators.values():
            floor = self.rng.randint(elevator.lowest_floor, elevator.highest_floor) or 1
            moving = floor != self.floors[elevator.id]
            self.floors[elevator.id] = floor
            out.append(
                (
                    elevator.id,
                    {
                        "ts": now.isoformat(),
                        "state": "moving" if moving else "idle",
                        "floor": floor,
                        "door": "closed" if moving else "open",
                        "vibration": round(self.rng.gauss(0.12, 0.02), 4),
                        "noise_db": round(self.rng.gauss(52, 3), 1),
                        "load": round(self.rng.uniform(0, 0.6), 2),
                        "fault_code": 0,
                        "alarm": False,
                    },
                )
            )
        dark = hour < 6.5 or hour >= 18
        for circuit in self.site.circuits.values():
            on = dark or circuit.area.endswith("garage")
            power = circuit.rated_power_w * self.rng.uniform(0.9, 1.0) if on else 0.0
            out.append((circuit.id, {"ts": now.isoformat(), "on": on, "power_w": round(power, 1)}))
        return out
