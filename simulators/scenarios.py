"""Fault scenarios: what goes wrong, where, and from when — scriptable from a TOML file or the command line.

[[faults]]
kind = "leak"                 # see FaultKind
asset = "B1-0502-W"
start = "+1h30m"              # offset from the simulation start, or an ISO time with zone
duration = "6h"               # optional; faults last to the end otherwise
flow_m3_per_h = 0.03          # kind-specific parameters (defaults below)
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class FaultKind(StrEnum):
    BEARING_WEAR = "bearing_wear"  # elevator vibration rising day by day
    ABNORMAL_NOISE = "abnormal_noise"  # elevator in-car noise up
    ENTRAPMENT = "entrapment"  # alarm button pressed, car stopped between floors, doors closed
    DOOR_FAULT = "door_fault"  # door reported open while moving
    FAULT_CODE = "fault_code"  # controller reports a fault code
    LEAK = "leak"  # constant small flow through a water meter
    TAP_RUNNING = "tap_running"  # a large constant flow
    LIGHTS_STUCK_ON = "lights_stuck_on"  # a lighting circuit never switches off
    METER_SILENT = "meter_silent"  # no more messages
    METER_REPLACED = "meter_replaced"  # register restarts from a new meter's reading
    REGISTER_ROLLOVER = "register_rollover"  # register wraps past its maximum
    MALFORMED_PAYLOADS = "malformed_payloads"  # firmware sends garbage
    SENSOR_ALARM = "sensor_alarm"  # a sensor reports its kind's fault: water on the floor, smoke, a pump trip


def parse_offset(text: str) -> timedelta:
    """'90s', '15m', '1h30m', '2d', '1d6h' → timedelta."""
    units = {"d": 86_400, "h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for char in text.strip():
        if char.isdigit():
            number += char
        elif char in units and number:
            total += int(number) * units[char]
            number = ""
        else:
            raise ValueError(f"duration {text!r}: write it like 90s, 15m, 1h30m or 2d")
    if number or not text.strip():
        raise ValueError(f"duration {text!r}: write it like 90s, 15m, 1h30m or 2d")
    return timedelta(seconds=total)


Offset = Annotated[str, Field(min_length=2)]


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    asset: str = Field(min_length=1)
    start: str = "+0s"
    duration: Offset | None = None
    # Kind-specific parameters with defaults that make the fault visible to the built-in rules.
    flow_m3_per_h: float = Field(default=0.03, gt=0)  # leak: ~0.5 L/min, a running toilet cistern
    vibration_growth_per_day: float = Field(default=0.5, gt=0)  # bearing wear: +50 % of baseline a day
    noise_increase_db: float = Field(default=15.0, gt=0)
    code: int = Field(default=31, ge=1)
    new_total: float = Field(default=0.0, ge=0)  # meter replaced: the new meter's first reading
    maximum: float = Field(default=99_999.999, gt=0)  # register rollover

    @field_validator("start")
    @classmethod
    def _start_form(cls, value: str) -> str:
        if value.startswith("+"):
            parse_offset(value[1:])
        else:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError(f"start {value!r} needs a zone, e.g. 2026-11-26T01:30:00+08:00")
        return value

    @field_validator("duration")
    @classmethod
    def _duration_form(cls, value: str | None) -> str | None:
        if value is not None:
            parse_offset(value)
        return value

    def window(self, sim_start: datetime) -> tuple[datetime, datetime | None]:
        begins = (
            sim_start + parse_offset(self.start[1:])
            if self.start.startswith("+")
            else datetime.fromisoformat(self.start)
        )
        ends = begins + parse_offset(self.duration) if self.duration else None
        return begins, ends


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: tuple[Fault, ...] = ()


class ScenarioError(ValueError):
    pass


def load_scenario(path: str | Path) -> Scenario:
    source = str(path)
    try:
        return Scenario.model_validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    except OSError as exc:
        raise ScenarioError(f"{source}: cannot read the scenario file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ScenarioError(f"{source}: {problems}") from None


def parse_fault_option(text: str) -> Fault:
    """`--fault leak:B1-0502-W@+1h30m` → Fault (kind, asset and optional start)."""
    kind, _, rest = text.partition(":")
    asset, _, start = rest.partition("@")
    try:
        return Fault(kind=FaultKind(kind), asset=asset, start=start or "+0s")
    except (ValueError, ValidationError) as exc:
        kinds = ", ".join(k.value for k in FaultKind)
        raise ScenarioError(f"--fault {text!r}: write KIND:ASSET[@START] with KIND one of {kinds} ({exc})") from None
