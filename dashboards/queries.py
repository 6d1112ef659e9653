"""InfluxQL for the dashboards, in the dialect InfluxDB 1.6 and later (and 2.x/3.x through /query) run.

Grafana fills in `$timeFilter`, `$__interval` and the template variables; multi-value variables
are matched as regular expressions (`=~ /^$building$/`). Names are the storage schema's
(`core.measurements`); utilities are `core.site.Utility` values, never user text.
"""

# ruff: noqa: S608  -- query templates for Grafana built from constants and enum values, never from user text

from __future__ import annotations

from core.site import Utility

SITE = '"site" =~ /^$site$/'
BUILDING = '"building" =~ /^$building$/'
ELEVATOR = '"elevator_id" =~ /^$elevator$/'
ASSET_IS_ELEVATOR = '"asset_id" =~ /^$elevator$/'
HAS_BUILDING = "\"building\" != ''"
HAS_UNIT = "\"unit\" != ''"
TOP_N = 10


def _tags(*names: str) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _where(*conditions: str) -> str:
    return " AND ".join(("$timeFilter", *conditions))


# -- meters -----------------------------------------------------------------------------------------


def usage(utility: Utility, *tags: str, every: str = "$__interval", only: tuple[str, ...] = ()) -> str:
    """Consumption per meter per interval from the cumulative register `total`.

    non_negative_difference of each interval's last reading: a replaced or rolled-over meter
    (register back near zero) gives no negative use. Grouped by meter_id so a difference never
    spans two registers; `tags` are kept for the outer query to group by.
    """
    where = _where(SITE, BUILDING, f"\"utility\" = '{utility.value}'", *only)
    return (
        f'SELECT non_negative_difference(last("total")) AS "use" FROM "meter" WHERE {where} '
        f"GROUP BY time({every}), {_tags('meter_id', *tags)}"
    )


def total_use(utility: Utility) -> str:
    """One number: the consumption of the selected buildings in the time range."""
    return f'SELECT sum("use") AS "use" FROM ({usage(utility)})'


def use_per_building(utility: Utility) -> str:
    """Consumption per building per interval (meters of public areas outside buildings are left out)."""
    inner = usage(utility, "building", only=(HAS_BUILDING,))
    return f'SELECT sum("use") AS "use" FROM ({inner}) GROUP BY time($__interval), "building" fill(none)'


def _use_per_unit(utility: Utility) -> str:
    inner = usage(utility, "unit", only=(HAS_UNIT,))
    return f'SELECT sum("use") AS "use" FROM ({inner}) GROUP BY "unit"'


def use_per_unit(utility: Utility) -> str:
    """One row per unit (columns use, unit): its consumption in the time range."""
    return f'SELECT "use", "unit" FROM ({_use_per_unit(utility)})'


def top_units(utility: Utility, n: int = TOP_N) -> str:
    """The `n` units that used the most in the time range (columns use, unit)."""
    return f'SELECT top("use", "unit", {n}) AS "use" FROM ({_use_per_unit(utility)})'


def night_flow(n: int = TOP_N) -> str:
    """Per unit, the lowest hourly water use in the time range; the `n` highest of those.

    Water that never stops (a running tap, a leak: 長流水) shows as a minimum above zero: a
    household that sleeps has at least one hour without use.
    """
    inner = usage(Utility.WATER, "unit", every="1h", only=(HAS_UNIT,))
    lowest = f'SELECT min("use") AS "lowest" FROM ({inner}) GROUP BY "unit"'
    return f'SELECT top("lowest", "unit", {n}) AS "lowest" FROM ({lowest})'


_METER_TAGS = ("meter_id", "unit", "area", "building", "utility")


def _silence_balance(*filters: str, silence: str = "$silence") -> str:
    """Per meter: +1 if it reported in the time range, -1 more if it reported within `$silence`.

    InfluxQL has no outer join, so the two counts are unioned (FROM a, b) and summed: a meter
    left at 1 was heard in the range but not lately. (A time condition on an outer query would
    also narrow the inner one, so "last reading older than" cannot be written directly.)
    """
    filters = filters or (SITE, BUILDING)
    seen = _where(*filters)
    recent = " AND ".join((f"time > now() - {silence}", *filters))
    group = f"GROUP BY {_tags(*_METER_TAGS)}"
    heard = f'SELECT count("total") / count("total") AS "n" FROM "meter" WHERE {seen} {group}'
    lately = f'SELECT -1 * count("total") / count("total") AS "n" FROM "meter" WHERE {recent} {group}'
    return f'SELECT sum("n") AS "silent" FROM ({heard}), ({lately}) {group}'


def silent_meters() -> str:
    """Meters heard in the time range but silent for `$silence` (columns meter_id, unit, area, …)."""
    return f'SELECT "silent", {_tags(*_METER_TAGS)} FROM ({_silence_balance()}) WHERE "silent" > 0'


def silent_meter_count(*filters: str, silence: str = "$silence") -> str:
    """How many meters are silent; `filters` (default: the dashboard's site and buildings) and `silence` fixed for
    an alert rule, which has no template variables."""
    inner = _silence_balance(*filters, silence=silence)
    return f'SELECT count("silent") AS "silent" FROM ({inner}) WHERE "silent" > 0'


# -- elevators --------------------------------------------------------------------------------------

_CARS = (SITE, BUILDING, ELEVATOR)


def elevator_last(field: str) -> str:
    """The field's last value per car per interval, carried forward over quiet intervals."""
    where = _where(*_CARS)
    return (
        f'SELECT last("{field}") AS "{field}" FROM "elevator" WHERE {where} '
        'GROUP BY time($__interval), "elevator_id" fill(previous)'
    )


def elevator_max(field: str) -> str:
    """The field's highest value per car per interval (peaks matter for vibration and noise)."""
    where = _where(*_CARS)
    return (
        f'SELECT max("{field}") AS "{field}" FROM "elevator" WHERE {where} '
        'GROUP BY time($__interval), "elevator_id" fill(none)'
    )


def trips_per_interval() -> str:
    """Readings with state `moving` per car per interval: cars report on each state change."""
    where = _where(*_CARS, "\"state\" = 'moving'")
    group = 'GROUP BY time($__interval), "elevator_id" fill(0)'
    return f'SELECT count("state") AS "trips" FROM "elevator" WHERE {where} {group}'


def trips_total() -> str:
    where = _where(*_CARS, "\"state\" = 'moving'")
    return f'SELECT count("state") AS "trips" FROM "elevator" WHERE {where} GROUP BY "elevator_id"'


def fault_readings(limit: int = 200) -> str:
    """The newest readings carrying a fault code, one row each."""
    where = _where(*_CARS, '"fault_code" <> 0')
    return (
        f'SELECT "fault_code", "state", "floor", "door", "elevator_id" FROM "elevator" WHERE {where} '
        f"ORDER BY time DESC LIMIT {limit}"
    )


def fault_count() -> str:
    where = _where(*_CARS, '"fault_code" <> 0')
    return f'SELECT count("fault_code") AS "faults" FROM "elevator" WHERE {where} GROUP BY "elevator_id"'


# -- alarms (measurement `alarm`: tags site, building, asset_id, rule, severity; fields title, text, state) --

_ALARM_COLUMNS = ("title", "text", "state", "rule", "severity", "asset_id")


def elevator_alarms(limit: int = 200) -> str:
    """Alarm events of the selected cars, newest first."""
    where = _where(SITE, BUILDING, ASSET_IS_ELEVATOR)
    return f'SELECT {_tags(*_ALARM_COLUMNS)} FROM "alarm" WHERE {where} ORDER BY time DESC LIMIT {limit}'


def elevator_alarm_annotations() -> str:
    """Alarm events of the selected cars as annotations (title, text and tag columns)."""
    return f'SELECT {_tags(*_ALARM_COLUMNS)} FROM "alarm" WHERE {_where(SITE, BUILDING, ASSET_IS_ELEVATOR)}'


# -- template variables ------------------------------------------------------------------------------


def tag_values(measurement: str, key: str, *conditions: str) -> str:
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{key}"{where}'
