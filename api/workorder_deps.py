"""What the work-order, alarm and SLA routes share: the site in the path, the order's code, running a command.

Commands go through the work-order message bus (`workorders.application`) in a unit of work of their own, not
in the request's session, so their retry on a concurrent writer starts from a fresh transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Path

from api.deps import DepsDep, SiteDep, site_member
from api.ports import ApiDependencies
from api.schemas_workorders import WorkOrderOut, order_out
from api.time_bounds import EARLIEST, LATEST
from workorders.application import Refused, entry_bus, execute
from workorders.commands import Command
from workorders.lifecycle import WorkOrderConflict
from workorders.queries import find_order_id
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import UnitOfWork

T = TypeVar("T")

# Pass to `create_app(deps, conflicts=...)`: a refused move or a follow-up too early answers 409.
WORK_ORDER_CONFLICTS: tuple[type[Exception], ...] = (WorkOrderConflict,)

SiteId = Annotated[str, Path(description="The site's id from /sites.", examples=["lakeview"])]
Code = Annotated[
    str,
    Path(pattern=r"^WO-[0-9]{8}-[0-9]{4,12}$", description="The order's code.", examples=["WO-20261126-0001"]),
]


def this_site(site_id: SiteId, site: SiteDep, _: Annotated[object, Depends(site_member)]) -> str:
    """The site id in the path, or 404 when this hub does not serve it (403 first for a key with no role there)."""
    # One site per hub today; the id in the path keeps URLs stable when a hub serves several.
    if site_id != site.id:
        raise HTTPException(404, f"Site {site_id} not found")
    return site_id


SiteIdDep = Annotated[str, Depends(this_site)]


def site_zone(deps: ApiDependencies) -> ZoneInfo:
    """The site's time zone: order codes and monthly reports follow its calendar."""
    return ZoneInfo(deps.site.info.timezone)


def within_range(value: datetime | None, name: str) -> datetime | None:
    """`value` unless it lies outside the years every backend stores (then 422)."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise HTTPException(422, f"{name} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def load_order(deps: ApiDependencies, site_id: str, code: str) -> WorkOrderOut:
    """The order as it is now, read in a session of its own, or 404."""
    with deps.session_factory() as session:
        order = SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=site_id, code=code)
    if order is None:
        raise HTTPException(404, f"Work order {code} not found in site {site_id}")
    return order_out(order)


def order_id(deps: ApiDependencies, site_id: str, code: str) -> UUID:
    with deps.session_factory() as session:
        found = find_order_id(session, site_id=site_id, code=code)
    if found is None:
        raise HTTPException(404, f"Work order {code} not found in site {site_id}")
    return found


def run_command(deps: ApiDependencies, command: Command | Callable[[UnitOfWork], T]) -> Any:
    """Run a work-order command on the bus; input it refuses answers 422, an order its guard refuses (another
    team's) 403, an unknown order 404, a concurrent writer 409.

    `IllegalTransition` and other `WorkOrderConflict`s pass through to the 409 handler of `create_app`.
    """
    try:
        return execute(entry_bus(deps), command)
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None


def act(deps: DepsDep, site_id: SiteIdDep, code: Code) -> Callable[[Callable[[UUID], Command]], WorkOrderOut]:
    """A dependency that runs a command on the order in the path and answers the order as it is after it."""

    def run(command: Callable[[UUID], Command]) -> WorkOrderOut:
        run_command(deps, command(order_id(deps, site_id, code)))
        return load_order(deps, site_id, code)

    return run


ActDep = Annotated[Callable[[Callable[[UUID], Command]], WorkOrderOut], Depends(act)]
