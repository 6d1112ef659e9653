"""Generated communities for the scale benchmarks: any number of sites of 1,000 unit meters each, and a portfolio.

A site is 4 buildings × 25 floors × 5 units, each unit with a water and an electricity meter (`meter_groups`):
exactly 1,000 assets, watched by the built-in rules (silence, 長流水, consumption spikes) like a real community.
"""

from __future__ import annotations

from pathlib import Path

BUILDINGS = 4
FLOORS = 25
UNITS_PER_FLOOR = 5
UTILITIES = ("water", "electricity")
ASSETS_PER_SITE = BUILDINGS * FLOORS * UNITS_PER_FLOOR * len(UTILITIES)
SITE = """[site]
id = "{site}"
name = "{site}"
timezone = "Asia/Shanghai"
{buildings}
[[meter_groups]]
utilities = [{utilities}]
expected_interval_s = {interval_s}
"""
BUILDING = """
[[buildings]]
id = "B{n}"
floors = {floors}
unit_layout = {{ last_floor = {floors}, units_per_floor = {units} }}
"""


def site_id(n: int) -> str:
    return f"estate-{n:04d}"


def site_toml(site: str, *, interval_s: int = 60) -> str:
    """One site of ASSETS_PER_SITE meters; `interval_s` is how often each meter is expected to report."""
    buildings = "".join(BUILDING.format(n=n, floors=FLOORS, units=UNITS_PER_FLOOR) for n in range(1, BUILDINGS + 1))
    utilities = ", ".join(f'"{u}"' for u in UTILITIES)
    return SITE.format(site=site, buildings=buildings, utilities=utilities, interval_s=interval_s)


def write_site(folder: Path, site: str, *, interval_s: int = 60) -> Path:
    path = folder / site / "site.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(site_toml(site, interval_s=interval_s), encoding="utf-8")
    return path


def write_portfolio(folder: Path, sites: int, *, interval_s: int = 60) -> Path:
    """A portfolio of `sites` generated sites under `folder` (site files only: no alerts, billing or plans)."""
    lines = ['[company]\nname = "Bench Property Co."\n']
    for n in range(1, sites + 1):
        write_site(folder, site_id(n), interval_s=interval_s)
        lines.append(f'[[sites]]\nsite_file = "{site_id(n)}/site.toml"\n')
    path = folder / "portfolio.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
