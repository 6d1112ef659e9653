"""What the work-order, alarm and SLA routes share: the site in the path, the order's code, running a command.

Commands run in a unit of work of their own (`SqlAlchemyUnitOfWork` over `deps.session_factory`), not in
the request's session, so their retry on a concurrent writer starts from a fresh transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Path

from access.orders import AccessDenied
from api.deps import DepsDep, SiteDep
from api.ports import ApiDependencies
from api.routes.readings import EARLIEST, LATEST
from api.schemas_workorders import WorkOrderOut, order_out
from workorders.lifecycle import WorkOrderConflict, WorkOrderNotFound
from workorders.queries import find_order_id
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import ConcurrentUpdate, SqlAlchemyUnitOfWork, UnitOfWork

log = logging.getLogger("facilities.api")
T = TypeVar("T")

# Pass to `create_app(deps, conflicts=...)`: a refused move or a follow-up too early answers 409.
WORK_ORDER_CONFLICTS: tuple[type[Exception], ...] = (WorkOrderConflict,)

SiteId = Annotated[str, Path(description="The site's id from /sites.", examples=["lakeview"])]
Code = Annotated[
    str,
    Path(pattern=r"^WO-[0-9]{8}-[0-9]{4,12}$", description="The order's code.", examples=["WO-20261126-0001"]),
]


def this_site(site_id: SiteId, site: SiteDep) -> str:
    """The site id in the path, or 404 when this hub does not serve it."""
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


def run_command(deps: ApiDependencies, command: Callable[[UnitOfWork], T]) -> T:
    """Run a `workorders.service` command and hand its events on; input it refuses answers 422, an order its guard
    refuses (another team's) 403.

    `IllegalTransition` and other `WorkOrderConflict`s pass through to the 409 handler of `create_app`.
    """
    uow = deps.uow_factory() if deps.uow_factory is not None else SqlAlchemyUnitOfWork(deps.session_factory)
    try:
        result = command(uow)
    except WorkOrderNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except AccessDenied as exc:  # another team's order for a crew key: `access.orders`
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:  # blank notes, a title of spaces: the domain names the field
        raise HTTPException(422, str(exc)) from None
    except ConcurrentUpdate:
        raise HTTPException(409, "Someone changed this work order at the same moment; try again") from None
    publish = deps.work_order_events or (lambda _: None)
    for event in uow.collect_new_events():
        try:
            publish(event)
        except Exception:
            # The change is committed; a failing subscriber must not turn it into an error for the caller.
            log.exception("publishing %s for work order %s failed", type(event).__name__, event.code)
    return result


def act(
    deps: DepsDep, site_id: SiteIdDep, code: Code
) -> Callable[[Callable[[UnitOfWork, UUID], object]], WorkOrderOut]:
    """A dependency that runs a command on the order in the path and answers the order as it is after it."""

    def run(command: Callable[[UnitOfWork, UUID], object]) -> WorkOrderOut:
        target = order_id(deps, site_id, code)
        run_command(deps, lambda uow: command(uow, target))
        return load_order(deps, site_id, code)

    return run


ActDep = Annotated[Callable[[Callable[[UnitOfWork, UUID], object]], WorkOrderOut], Depends(act)]
