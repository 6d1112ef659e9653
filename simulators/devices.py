"""How each simulated device behaves: household meters, elevator cars, lighting circuits."""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.reading import FieldValue
from core.site import AreaKind, Circuit, Elevator, Meter, Utility
from simulators.scenarios import Fault, FaultKind

TAP_FLOW_M3_PER_H = 0.6  # an open kitchen tap, about 10 L/min


def local_hour(when: datetime, zone: ZoneInfo) -> float:
    local = when.astimezone(zone)
    return local.hour + local.minute / 60 + local.second / 3600


def activity(hour: float) -> float:
    """0..1 household activity: a morning peak near 07:30, a larger evening peak near 19:30, asleep at night."""
    if hour < 5.5 or hour >= 23.5:
        return 0.0
    morning = math.exp(-(((hour - 7.5) / 1.2) ** 2))
    evening = math.exp(-(((hour - 19.5) / 1.8) ** 2))
    return min(1.0, 0.15 + 0.55 * morning + 0.85 * evening)


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # normal approximation; Knuth's method is slow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class MeterState:
    utility: Utility
    household: bool
    register: float
    factor: float
    vacant: bool
    rng: random.Random
    replaced: bool = False
    rolled_over_set: bool = False

    @classmethod
    def create(cls, meter: Meter, *, vacant: bool, rng: random.Random) -> MeterState:
        start = {Utility.ELECTRICITY: (800, 6000), Utility.WATER: (50, 900), Utility.GAS: (100, 1500)}[meter.utility]
        return cls(
            utility=meter.utility,
            household=meter.unit is not None,
            register=round(rng.uniform(*start), 3),
            factor=rng.uniform(0.6, 1.4),
            vacant=vacant,
            rng=random.Random(rng.random()),
        )

    def advance(
        self, hours: float, hour: float, weekend: bool, flows: list[tuple[Fault, float]], started: list[Fault]
    ) -> None:
        """Add `hours` of use; `flows` are flow faults with the hours they overlap, `started` every begun fault."""
        use = 0.0 if self.vacant else self._normal_use(hours, hour, weekend)
        for fault, overlap in flows:
            if fault.kind is FaultKind.LEAK:
                use += fault.flow_m3_per_h * overlap
            elif fault.kind is FaultKind.TAP_RUNNING:
                use += TAP_FLOW_M3_PER_H * overlap
        for fault in started:
            if fault.kind is FaultKind.METER_REPLACED and not self.replaced:
                self.register, self.replaced = fault.new_total, True
            elif fault.kind is FaultKind.REGISTER_ROLLOVER:
                if not self.rolled_over_set:  # bring the register just below its maximum, so it wraps soon
                    self.register, self.rolled_over_set = fault.maximum - 0.5, True
                self.register = (self.register + use) % fault.maximum
                return
        self.register += use

    def _normal_use(self, hours: float, hour: float, weekend: bool) -> float:
        busy = activity(hour) * (1.15 if weekend else 1.0) * self.factor
        if not self.household:  # public-area meters: pumps, garage lights, garden irrigation
            if self.utility is Utility.WATER:
                return 0.8 * hours if 6.0 <= hour < 6.5 else 0.0
            return (3.0 + 4.0 * activity(hour)) * hours
        if self.utility is Utility.ELECTRICITY:
            return (0.12 + 1.1 * busy) * hours  # the fridge never sleeps
        # Water and gas come in events (a shower, a flush, cooking); none at night.
        # About 0.35 m³ of water a day for a household of three; gas for two or three meals.
        per_hour, volume = {Utility.WATER: (3.0, (0.003, 0.04)), Utility.GAS: (1.2, (0.05, 0.2))}[self.utility]
        events = poisson(self.rng, per_hour * busy * hours)
        return sum(self.rng.uniform(*volume) for _ in range(events))


@dataclass
class ElevatorState:
    lowest: int
    highest: int
    floor: int
    baseline_vibration: float  # m/s², each car has its own
    baseline_noise: float  # dB(A) in the car while running
    rng: random.Random

    @classmethod
    def create(cls, elevator: Elevator, *, rng: random.Random) -> ElevatorState:
        return cls(
            lowest=elevator.lowest_floor,
            highest=elevator.highest_floor,
            floor=1,
            baseline_vibration=rng.uniform(0.08, 0.14),
            baseline_noise=rng.uniform(46.0, 50.0),
            rng=random.Random(rng.random()),
        )

    def sample(self, hour: float, faults: list[Fault], days_active: list[float]) -> dict[str, FieldValue]:
        moving = self.rng.random() < 0.15 + 0.6 * activity(hour)
        if moving:
            target = self.rng.randint(self.lowest, self.highest)
            self.floor = target if target != 0 else 1
        fields: dict[str, FieldValue] = {
            "state": "moving" if moving else "idle",
            "floor": self.floor,
            "door": "closed" if moving or self.rng.random() < 0.7 else "open",
            "vibration": round(self.baseline_vibration * self.rng.gauss(1.0, 0.05) if moving else 0.02, 4),
            "noise_db": round(self.baseline_noise + self.rng.gauss(0, 1.0) if moving else 40.0, 1),
            "load": round(self.rng.uniform(0.05, 0.7) if moving else 0.0, 2),
            "fault_code": 0,
            "alarm": False,
            "in_door_zone": not moving,
        }
        for fault, days in zip(faults, days_active, strict=True):
            if fault.kind is FaultKind.BEARING_WEAR:
                fields["state"], fields["door"], fields["in_door_zone"] = "moving", "closed", False
                grown = self.baseline_vibration * (1 + fault.vibration_growth_per_day * days)
                fields["vibration"] = round(grown * self.rng.gauss(1.0, 0.03), 4)
            elif fault.kind is FaultKind.ABNORMAL_NOISE:
                fields["state"], fields["in_door_zone"] = "moving", False
                fields["noise_db"] = round(self.baseline_noise + fault.noise_increase_db, 1)
            elif fault.kind is FaultKind.ENTRAPMENT:
                fields.update(state="stopped", door="closed", alarm=True, in_door_zone=False, load=0.3)
            elif fault.kind is FaultKind.DOOR_FAULT:
                fields.update(state="moving", door="open", in_door_zone=False)
            elif fault.kind is FaultKind.FAULT_CODE:
                # The controller stops the car at a landing and holds it there: one consistent picture.
                fields.update(state="stopped", fault_code=fault.code, in_door_zone=True, door="closed", load=0.0)
        return fields


def sun_times(local: datetime) -> tuple[float, float]:
    """Approximate sunrise and sunset near 30° N (Hangzhou): 05:00/19:10 in June, 06:50/17:10 in December."""
    day = local.timetuple().tm_yday
    swing = math.cos(2 * math.pi * (day - 172) / 365)
    return 5.9 - 0.9 * swing, 18.15 + 1.0 * swing


@dataclass
class CircuitState:
    rated_power_w: float
    kind: AreaKind
    rng: random.Random

    @classmethod
    def create(cls, circuit: Circuit, kind: AreaKind) -> CircuitState:
        return cls(circuit.rated_power_w, kind, random.Random(zlib.crc32(circuit.id.encode())))  # stable across runs

    def sample(self, hour: float, local: datetime, faults: list[Fault]) -> dict[str, FieldValue]:
        sunrise, sunset = sun_times(local)
        if self.kind in (AreaKind.GARAGE, AreaKind.PLANT_ROOM):
            on = True  # no daylight underground
        elif self.kind is AreaKind.GARDEN:
            on = sunset + 0.25 <= hour < 23.0
        else:  # photocell-switched corridors, lobbies, stairwells
            on = hour >= sunset + 0.25 or hour < sunrise - 0.25
        if any(f.kind is FaultKind.LIGHTS_STUCK_ON for f in faults):
            on = True
        power = self.rated_power_w * self.rng.uniform(0.92, 1.0) if on else 0.0
        return {"on": on, "power_w": round(power, 1)}
