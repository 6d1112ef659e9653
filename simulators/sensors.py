"""Simulated sensors of any device kind: quiet, believable values, and the kind's own fault when asked.

A leak detector reports dry, a pump runs in cycles and counts its hours, a plant room warms by day; a
`sensor_alarm` fault makes the sensor report what its kind calls a fault (core/device_kinds.toml), e.g.
`leak = true`. Site-declared kinds get neutral values per field type.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from core.device_kinds import DeviceKind, FieldKind
from core.reading import FieldValue

# Normal values of the built-in kinds' number fields: (centre, daily swing, noise).
_NUMBERS: dict[str, tuple[float, float, float]] = {
    "temperature": (26.0, 3.0, 0.3),
    "humidity": (55.0, 8.0, 1.0),
    "pressure": (0.35, 0.0, 0.01),  # fire-water main, MPa
    "level": (2.4, 0.2, 0.02),  # tank, m
    "level_pct": (75.0, 8.0, 1.0),
    "current": (12.0, 0.0, 0.5),
    "fuel_pct": (92.0, 0.0, 0.0),
    "battery_v": (26.8, 0.0, 0.05),
    "value": (0.0, 0.0, 0.0),
}


@dataclass
class SensorState:
    kind: DeviceKind
    rng: random.Random
    battery: float
    run_hours: float = 0.0

    @classmethod
    def create(cls, kind: DeviceKind, *, rng: random.Random) -> SensorState:
        return cls(kind, random.Random(rng.random()), battery=rng.uniform(80, 100), run_hours=rng.uniform(100, 5000))

    def sample(self, hour: float, hours_since_last: float, faulty: bool) -> dict[str, FieldValue]:
        """One report at local `hour`; `faulty`: the kind's fault is on."""
        out: dict[str, FieldValue] = {}
        running = 6 <= hour < 23 and (int(hour * 4) % 3 != 0)  # pumps cycle by day, rest at night
        if running:
            self.run_hours += hours_since_last
        for name, spec in self.kind.fields.items():
            if spec.type is FieldKind.BOOLEAN:
                out[name] = running if name == "running" else False
            elif spec.type is FieldKind.STATE:
                out[name] = "running" if running and "running" in spec.states else spec.states[0]
            elif spec.type is FieldKind.TEXT:
                out[name] = ""
            elif name == "run_hours":
                out[name] = round(self.run_hours, 2)
            elif name == "current" and not running:
                out[name] = 0.0
            else:
                centre, swing, noise = _NUMBERS.get(name, (0.0, 0.0, 0.0))
                daily = swing * math.sin((hour - 9) / 24 * 2 * math.pi)
                out[name] = round(centre + daily + self.rng.gauss(0, noise) if noise else centre + daily, 3)
        if faulty and self.kind.fault is not None:
            out[self.kind.fault.field] = self.kind.fault.equals
        if "running" not in self.kind.fields:  # pumps and generators are on mains power
            self.battery = max(0.0, self.battery - 0.0005 * hours_since_last)
            out["battery"] = round(self.battery)
        return out
