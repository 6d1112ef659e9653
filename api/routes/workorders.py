"""Work orders (工單) of a site: the list with filters, one order with its records, and new resident requests.

The moves of an order (acknowledge … close), comments and the follow-up call are in `workorder_actions`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, PaginationDep, RegistryDep, SessionDep, require
from api.schemas import ERROR_RESPONSES, ErrorOut, Page, not_found
from api.schemas_workorders import ONE_LINE, WorkOrderCreate, WorkOrderOut, WorkOrderSummaryOut, summary_out
from api.workorder_deps import Code, SiteIdDep, load_order, run_command, within_range
from core.registry import AssetRegistry, UnknownAsset
from core.site import Site
from workorders.commands import OpenRequest
from workorders.lifecycle import Status
from workorders.queries import WorkOrderFilters, list_work_orders
from workorders.service import OrderRef, ResidentRequest
from workorders.values import Category, Priority, Source

router = APIRouter(
    prefix="/sites/{site_id}/work-orders",
    tags=["work orders"],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub, or no such order in it")},
)

Place = Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)]


@router.get("", summary="Orders of the site, newest first, filtered and paginated")
def list_orders(
    _: Annotated[Caller, require(Permission.READ_WORK_ORDERS)],
    site_id: SiteIdDep,
    session: SessionDep,
    pagination: PaginationDep,
    status: Annotated[list[Status] | None, Query(description="Any of these states; repeat the parameter.")] = None,
    category: Category | None = None,
    priority: Priority | None = None,
    source: Source | None = None,
    building: Place = None,
    unit: Place = None,
    asset: Place = None,
    assignee: Annotated[str | None, Query(max_length=128, pattern=ONE_LINE)] = None,
    created_from: Annotated[AwareDatetime | None, Query(description="Opened at or after, with an offset.")] = None,
    created_before: Annotated[AwareDatetime | None, Query(description="Opened before, with an offset.")] = None,
) -> Page[WorkOrderSummaryOut]:
    filters = WorkOrderFilters(
        statuses=frozenset(status or ()), category=category, priority=priority, source=source, building_id=building,
        unit_id=unit, asset_id=asset, assignee=assignee, created_from=within_range(created_from, "created_from"),
        created_before=within_range(created_before, "created_before"),
    )  # fmt: skip
    if created_from and created_before and created_from >= created_before:
        raise HTTPException(422, "created_from must be before created_before")
    found = list_work_orders(
        session, site_id=site_id, filters=filters, limit=pagination.limit, offset=pagination.offset
    )
    items = [summary_out(summary) for summary in found.items]
    return Page(items=items, total=found.total, limit=pagination.limit, offset=pagination.offset)


@router.get(
    "/{code}",
    summary="One order with its comments, audit log, follow-ups, alarms, deadlines and breaches",
    dependencies=[require(Permission.READ_WORK_ORDERS)],
)
def get_order(site_id: SiteIdDep, code: Code, deps: DepsDep) -> WorkOrderOut:
    return load_order(deps, site_id, code)


@router.post(
    "",
    status_code=201,
    summary="Record a resident's repair request or complaint (報修), or staff's own finding",
    responses={
        422: {"model": ErrorOut, "description": "Invalid fields, or an asset, unit or building not in the site"}
    },
)
def create_order(
    caller: Annotated[Caller, require(Permission.CREATE_WORK_ORDERS)],
    site_id: SiteIdDep,
    body: WorkOrderCreate,
    deps: DepsDep,
    registry: RegistryDep,
) -> WorkOrderOut:
    building, unit = _place(deps.site, registry, body)
    request = ResidentRequest(
        site_id=site_id, category=body.category, priority=body.priority, title=body.title,
        description=body.description, reporter=body.reporter or caller.name, actor=caller.name,
        asset_id=body.asset_id, building_id=building, unit_id=unit, source=Source(body.source),
    )  # fmt: skip
    ref: OrderRef = run_command(deps, OpenRequest(request=request))
    return load_order(deps, site_id, ref.code)


def _place(site: Site, registry: AssetRegistry, body: WorkOrderCreate) -> tuple[str | None, str | None]:
    """(building, unit) of a request, filled in from the asset and the unit; 422 for places not in the site."""
    building, unit = body.building_id, body.unit_id
    if body.asset_id is not None:
        try:
            tags = registry.get(body.asset_id).tags
        except UnknownAsset:
            raise HTTPException(422, f"asset_id: no asset {body.asset_id} in site {site.id}") from None
        unit = _agree("unit_id", unit, tags.get("unit"), f"asset {body.asset_id}")
        building = _agree("building_id", building, tags.get("building"), f"asset {body.asset_id}")
    if unit is not None:
        info = site.units.get(unit)
        if info is None:
            raise HTTPException(422, f"unit_id: no unit {unit} in site {site.id}")
        building = _agree("building_id", building, info.building, f"unit {unit}")
    if building is not None and building not in site.buildings:
        raise HTTPException(422, f"building_id: no building {building} in site {site.id}")
    return building, unit


def _agree(field: str, given: str | None, known: str | None, owner: str) -> str | None:
    """The place given, or the one `owner` is in; 422 when the two differ."""
    if given is not None and known is not None and given != known:
        raise HTTPException(422, f"{field}: {owner} is in {known}, not {given}")
    return given or known
