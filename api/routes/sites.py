"""The site tree: the community, its buildings, units and public areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from access.roles import Permission
from api.deps import PaginationDep, SiteDep, require
from api.schemas import ERROR_RESPONSES, Page, not_found, page_of
from core.site import AreaKind, Building, PublicArea, Site, UnitInfo

router = APIRouter(
    prefix="/sites", tags=["sites"], dependencies=[require(Permission.READ_SITE)], responses=ERROR_RESPONSES
)


class SiteOut(BaseModel):
    id: str
    name: str
    timezone: str
    address: str
    buildings: int
    units: int
    areas: int
    meters: int
    elevators: int
    circuits: int


class BuildingOut(BaseModel):
    id: str
    name: str
    floors: int
    basement_floors: int
    units: int


class UnitOut(BaseModel):
    id: str
    building: str
    floor: int | None
    area_m2: float | None
    vacant: bool


class AreaOut(BaseModel):
    id: str
    name: str
    kind: AreaKind
    building: str | None


def _site_out(site: Site) -> SiteOut:
    info = site.info
    return SiteOut(
        id=info.id, name=info.name, timezone=info.timezone, address=info.address,
        buildings=len(site.buildings), units=len(site.units), areas=len(site.areas),
        meters=len(site.meters), elevators=len(site.elevators), circuits=len(site.circuits),
    )  # fmt: skip


def _building_out(site: Site, building: Building) -> BuildingOut:
    units = sum(1 for unit in site.units.values() if unit.building == building.id)
    return BuildingOut(
        id=building.id,
        name=building.name,
        floors=building.floors,
        basement_floors=building.basement_floors,
        units=units,
    )


def _unit_out(info: UnitInfo) -> UnitOut:
    # The owner's name stays out of the API: personal data no endpoint here needs.
    unit = info.unit
    return UnitOut(id=unit.id, building=info.building, floor=unit.floor, area_m2=unit.area_m2, vacant=unit.vacant)


def _area_out(area: PublicArea) -> AreaOut:
    return AreaOut(id=area.id, name=area.name, kind=area.kind, building=area.building)


def _this_site(site: Site, site_id: str) -> Site:
    # One site per hub today; the id in the path keeps URLs stable when a hub serves several.
    if site_id != site.id:
        raise HTTPException(404, f"Site {site_id} not found")
    return site


@router.get("", summary="Sites served by this hub")
def list_sites(site: SiteDep) -> list[SiteOut]:
    return [_site_out(site)]


SITE_404 = not_found("No such site on this hub")


@router.get("/{site_id}", summary="One site with its counts", responses=SITE_404)
def get_site(site_id: str, site: SiteDep) -> SiteOut:
    return _site_out(_this_site(site, site_id))


@router.get("/{site_id}/buildings", summary="Buildings of a site", responses=SITE_404)
def list_buildings(site_id: str, site: SiteDep) -> list[BuildingOut]:
    this = _this_site(site, site_id)
    return [_building_out(this, building) for building in this.buildings.values()]


@router.get("/{site_id}/buildings/{building_id}", summary="One building", responses=not_found("No such building"))
def get_building(site_id: str, building_id: str, site: SiteDep) -> BuildingOut:
    this = _this_site(site, site_id)
    building = this.buildings.get(building_id)
    if building is None:
        raise HTTPException(404, f"Building {building_id} not found")
    return _building_out(this, building)


@router.get("/{site_id}/units", summary="Units (户) of a site, filtered and paginated", responses=SITE_404)
def list_units(
    site_id: str,
    site: SiteDep,
    pagination: PaginationDep,
    building: Annotated[str | None, Query(description="Only units of this building.")] = None,
    vacant: Annotated[bool | None, Query(description="Only vacant (true) or occupied (false) units.")] = None,
) -> Page[UnitOut]:
    units = [
        _unit_out(info)
        for info in _this_site(site, site_id).units.values()
        if (building is None or info.building == building) and (vacant is None or info.unit.vacant == vacant)
    ]
    return page_of(units, pagination)


@router.get("/{site_id}/units/{unit_id}", summary="One unit", responses=not_found("No such unit"))
def get_unit(site_id: str, unit_id: str, site: SiteDep) -> UnitOut:
    info = _this_site(site, site_id).units.get(unit_id)
    if info is None:
        raise HTTPException(404, f"Unit {unit_id} not found")
    return _unit_out(info)


@router.get("/{site_id}/areas", summary="Public areas (公区) of a site", responses=SITE_404)
def list_areas(
    site_id: str,
    site: SiteDep,
    kind: Annotated[AreaKind | None, Query(description="Only areas of this kind.")] = None,
    building: Annotated[str | None, Query(description="Only areas of this building.")] = None,
) -> list[AreaOut]:
    return [
        _area_out(area)
        for area in _this_site(site, site_id).areas.values()
        if (kind is None or area.kind == kind) and (building is None or area.building == building)
    ]


@router.get("/{site_id}/areas/{area_id}", summary="One public area", responses=not_found("No such public area"))
def get_area(site_id: str, area_id: str, site: SiteDep) -> AreaOut:
    area = _this_site(site, site_id).areas.get(area_id)
    if area is None:
        raise HTTPException(404, f"Area {area_id} not found")
    return _area_out(area)
