"""InfluxQL for the drill-down, rate and live panels: a unit's and a meter's figures, power and flow, each car now.

Same dialect and rules as `dashboards.queries` (Grafana fills `$timeFilter`, `$__interval` and the variables).
"""

# ruff: noqa: S608  -- query templates for Grafana built from constants and enum values, never from user text

from __future__ import annotations

from core.site import Utility
from dashboards.queries import BUILDING, ELEVATOR, SITE

UNIT = '"unit" =~ /^$unit$/'
METER = '"meter_id" =~ /^$meter$/'
RATE_EVERY = "15m"  # meters report every 15 min: a rate over a shorter span is mostly zeros and spikes


def _where(*conditions: str) -> str:
    return " AND ".join(("$timeFilter", *conditions))


def _rate(utility: Utility, *conditions: str) -> str:
    """Per meter: the register's growth per hour (kWh/h = kW, m³/h) over each interval of at least 15 min."""
    where = _where(SITE, f"\"utility\" = '{utility.value}'", *conditions)
    return (
        f'SELECT non_negative_derivative(last("total"), 1h) AS "rate" FROM "meter" WHERE {where} '
        f'GROUP BY time($__interval), "meter_id", "building"'
    )


def rate_per_building(utility: Utility) -> str:
    """Electric power (kW) or water flow (m³/h) per building: the sum of its meters' rates."""
    inner = _rate(utility, BUILDING)
    return f'SELECT sum("rate") AS "rate" FROM ({inner}) GROUP BY time($__interval), "building" fill(none)'


def unit_rate(utility: Utility) -> str:
    """The selected unit's power or flow."""
    inner = _rate(utility, UNIT)
    return f'SELECT sum("rate") AS "rate" FROM ({inner}) GROUP BY time($__interval) fill(none)'


def meter_register(field: str = "total") -> str:
    """The selected meter's register as it reported (steps: it holds until the next reading)."""
    where = _where(SITE, METER)
    group = 'GROUP BY time($__interval), "meter_id" fill(none)'
    return f'SELECT last("{field}") AS "{field}" FROM "meter" WHERE {where} {group}'


def unit_use(every: str = "1h") -> str:
    """The selected unit's use per interval and utility (its water, electricity and gas meters)."""
    where = _where(SITE, UNIT)
    inner = (
        f'SELECT non_negative_difference(last("total")) AS "use" FROM "meter" WHERE {where} '
        f'GROUP BY time({every}), "meter_id", "utility"'
    )
    return f'SELECT sum("use") AS "use" FROM ({inner}) GROUP BY time({every}), "utility" fill(none)'


def meter_last_seen() -> str:
    """When the selected meter last reported, and what."""
    return f'SELECT last("total") AS "total" FROM "meter" WHERE {_where(SITE, METER)} GROUP BY "meter_id"'


# -- each car now -----------------------------------------------------------------------------------

CAR_FIELDS = ("state", "floor", "door")


def car_now(field: str) -> str:
    """Each car's latest value of one field (the live board's tiles), one series per car."""
    where = _where(SITE, BUILDING, ELEVATOR)
    return f'SELECT last("{field}") AS "{field}" FROM "elevator" WHERE {where} GROUP BY "elevator_id"'


def cars_now() -> str:
    """One row per car: state, floor, door, alarm and fault code as last reported, with the time of that report."""
    where = _where(SITE, BUILDING, ELEVATOR)
    return (
        f'SELECT last("state") AS "state", "floor", "door", "alarm", "fault_code" FROM "elevator" WHERE {where} '
        f'GROUP BY "elevator_id"'
    )
