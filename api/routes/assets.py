"""Assets: meters, elevators, lighting circuits and sensors, with the tags their readings are stored under."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from access.roles import Permission
from api.deps import AssetDep, PaginationDep, RegistryDep, SiteDep, require
from api.schemas import ERROR_RESPONSES, Page, not_found, page_of
from core.measurements import AssetKind
from core.registry import AssetInfo
from core.site import Site, Utility

router = APIRouter(
    prefix="/assets", tags=["assets"], dependencies=[require(Permission.READ_SITE)], responses=ERROR_RESPONSES
)


class AssetOut(BaseModel):
    asset_id: str
    kind: AssetKind
    device_kind: str | None = None  # a sensor's kind (water_leak, smoke, …); None for the others
    measurement: str
    tags: dict[str, str]
    expected_interval_s: int


class AssetDetailOut(AssetOut):
    protocol: str
    unit_of_measure: str | None
    # Field name → type (float, int, bool, string) of the fields the schema knows for this kind.
    fields: dict[str, str]


def _asset_out(info: AssetInfo) -> AssetOut:
    return AssetOut(
        asset_id=info.asset_id,
        kind=info.kind,
        device_kind=info.device_kind.id if info.device_kind is not None else None,
        measurement=info.measurement,
        tags=dict(info.tags),
        expected_interval_s=info.expected_interval_s,
    )


def _protocol_and_uom(site: Site, info: AssetInfo) -> tuple[str, str | None]:
    if info.kind is AssetKind.METER:
        meter = site.meters[info.asset_id]
        return meter.binding.protocol, meter.uom
    if info.kind is AssetKind.ELEVATOR:
        return site.elevators[info.asset_id].binding.protocol, None
    if info.kind is AssetKind.SENSOR:
        return site.sensors[info.asset_id].binding.protocol, None
    return site.circuits[info.asset_id].binding.protocol, None


@router.get("", summary="Assets, filtered and paginated")
def list_assets(
    registry: RegistryDep,
    pagination: PaginationDep,
    kind: Annotated[AssetKind | None, Query(description="Only meters, elevators, circuits or sensors.")] = None,
    utility: Annotated[Utility | None, Query(description="Only meters of this utility.")] = None,
    building: Annotated[str | None, Query(description="Only assets in this building.")] = None,
    unit: Annotated[str | None, Query(description="Only meters of this unit.")] = None,
    area: Annotated[str | None, Query(description="Only assets in this public area.")] = None,
) -> Page[AssetOut]:
    wanted = {"utility": utility.value if utility else None, "building": building, "unit": unit, "area": area}
    assets = [
        _asset_out(info)
        for info in sorted(registry.all(), key=lambda a: a.asset_id)
        if (kind is None or info.kind == kind)
        and all(value is None or info.tags.get(tag) == value for tag, value in wanted.items())
    ]
    return page_of(assets, pagination)


@router.get(
    "/{asset_id}", summary="One asset with its tags and fields", responses=not_found("No such asset in the site")
)
def get_asset(asset: AssetDep, site: SiteDep) -> AssetDetailOut:
    protocol, uom = _protocol_and_uom(site, asset)
    fields = {name: kind.value for name, kind in asset.field_types().items()}
    return AssetDetailOut(**_asset_out(asset).model_dump(), protocol=protocol, unit_of_measure=uom, fields=fields)
