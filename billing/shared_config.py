"""`[[shared]]` in the billing file: shared-area cost pools (公摊), which public meters feed them and how they
are split between units. Checked against the site by `check_pools`.

    [[shared]]
    id = "B1-public-power"          # shown on statements as meter "shared:B1-public-power"
    name = "1号楼公共用电"            # the line's charge name
    meters = ["E-B1-CORRIDOR", "E-B1-LIFT"]
    building = "B1"                 # the units of one building; leave out for a site-wide pool
    key = "area"                    # area (建筑面积, units' area_m2) | equal | consumption
    include_vacant = false          # vacant units take a share (default: no)
    unit_price = 0.538              # price of the pool's use, per kWh or m³
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.config_files import ConfigProblem
from core.site import Site, Utility

SHARED_PREFIX = "shared:"


class AllocationKey(StrEnum):
    AREA = "area"  # in proportion to each unit's floor area (建筑面积, area_m2 in the site file)
    EQUAL = "equal"  # the same share per unit taking part
    CONSUMPTION = "consumption"  # in proportion to each unit's own use of the same utility this period


class SharedPool(BaseModel):
    """One 公摊 pool: the public meters whose use is shared, the units sharing it and the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=64)
    meters: tuple[str, ...] = Field(min_length=1)
    building: str | None = None
    key: AllocationKey
    include_vacant: bool = False
    unit_price: Decimal = Field(ge=0)

    @property
    def line_id(self) -> str:
        """The meter id of this pool's line on a statement."""
        return f"{SHARED_PREFIX}{self.id}"


def check_pools(pools: Sequence[SharedPool], site: Site) -> list[ConfigProblem]:
    """Each pool's meters must be public-area meters of one utility, its building real, its units measurable."""
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    for index, pool in enumerate(pools):
        where = f"shared[{index}]"
        if pool.id in seen:
            problems.append(ConfigProblem(f"{where}.id", f"pool id {pool.id!r} is used by an earlier pool"))
        seen.add(pool.id)
        utilities: set[Utility] = set()
        for meter_id in pool.meters:
            meter = site.meters.get(meter_id)
            if meter is None:
                problems.append(ConfigProblem(f"{where}.meters", f"no meter {meter_id!r} in site {site.id}"))
            elif meter.unit is not None:
                problems.append(
                    ConfigProblem(f"{where}.meters", f"{meter_id} is unit {meter.unit}'s meter, not a public one")
                )
            else:
                utilities.add(meter.utility)
        if len(utilities) > 1:
            named = ", ".join(sorted(u.value for u in utilities))
            problems.append(ConfigProblem(f"{where}.meters", f"meters of one utility only, got {named}"))
        if pool.building is not None and pool.building not in site.buildings:
            known = ", ".join(sorted(site.buildings))
            problems.append(ConfigProblem(f"{where}.building", f"no building {pool.building!r}; known: {known}"))
        units = sharing_units(pool, site)
        if not units:
            problems.append(ConfigProblem(where, "no unit takes part (all vacant? set include_vacant = true)"))
        if pool.key is AllocationKey.AREA:
            missing = [unit_id for unit_id in units if site.units[unit_id].unit.area_m2 is None]
            if missing:
                shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                problems.append(
                    ConfigProblem(f"{where}.key", f"key 'area' needs area_m2 on every unit; missing on {shown}")
                )
    return problems


def sharing_units(pool: SharedPool, site: Site) -> list[str]:
    """The units that take a share, in id order."""
    return sorted(
        unit_id
        for unit_id, info in site.units.items()
        if (pool.building is None or info.building == pool.building) and (pool.include_vacant or not info.unit.vacant)
    )
