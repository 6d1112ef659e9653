"""Dependencies for the routers, as `Annotated` aliases, and `require(permission)` for access control.

`require` is the one place a key's role is decided: on a route under `/sites/{site_id}` the key's role on that
site (from the path, not from the site this process serves), elsewhere its all-sites role (`access.grants`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Annotated, Any, cast

import fastapi.routing
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from access.roles import Permission
from api.auth import Caller, KeyHolder, authenticate
from api.ports import ApiDependencies, DeadLetterSource
from api.schemas import MAX_OFFSET, MAX_PAGE, Pagination
from core.clock import Clock
from core.registry import AssetInfo, AssetRegistry, UnknownAsset
from core.site import Site
from storage.store import ReadingStore

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'}

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key `fac_…` issued with `facilities keys create`."
)
bearer_token = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


def get_deps(request: Request) -> ApiDependencies:
    return cast(ApiDependencies, request.app.state.deps)


DepsDep = Annotated[ApiDependencies, Depends(get_deps)]


def get_db(deps: DepsDep) -> Iterator[Session]:
    with deps.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def _site(deps: DepsDep) -> Site:
    return deps.site


def _registry(deps: DepsDep) -> AssetRegistry:
    return deps.registry


def _store(deps: DepsDep) -> ReadingStore:
    return deps.store


def _dead_letters(deps: DepsDep) -> DeadLetterSource:
    return deps.dead_letters


def _clock(deps: DepsDep) -> Clock:
    return deps.clock


SiteDep = Annotated[Site, Depends(_site)]
RegistryDep = Annotated[AssetRegistry, Depends(_registry)]
StoreDep = Annotated[ReadingStore, Depends(_store)]
DeadLettersDep = Annotated[DeadLetterSource, Depends(_dead_letters)]
ClockDep = Annotated[Clock, Depends(_clock)]


def get_asset(
    asset_id: Annotated[str, Path(description="Asset id, e.g. B1-0101-W")], registry: RegistryDep
) -> AssetInfo:
    """The asset named in the path, or 404."""
    try:
        return registry.get(asset_id)
    except UnknownAsset:
        raise HTTPException(404, f"Asset {asset_id} not found") from None


AssetDep = Annotated[AssetInfo, Depends(get_asset)]


def get_pagination(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> Pagination:
    return Pagination(limit=limit, offset=offset)


PaginationDep = Annotated[Pagination, Depends(get_pagination)]


def get_key_holder(
    session: SessionDep,
    api_key: Annotated[str | None, Security(api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)],
) -> KeyHolder:
    """The key presented in `X-API-Key` (or as `Authorization: Bearer`), or 401."""
    secret = api_key or (bearer.credentials if bearer is not None else None)
    if not secret:
        raise HTTPException(
            401,
            "Missing API key: send it in the X-API-Key header or as 'Authorization: Bearer <key>'",
            headers=_UNAUTHORIZED_HEADERS,
        )
    holder = authenticate(session, secret)
    if holder is None:
        raise HTTPException(401, "Invalid or revoked API key", headers=_UNAUTHORIZED_HEADERS)
    return holder


KeyHolderDep = Annotated[KeyHolder, Depends(get_key_holder)]
SITE_PARAM = "site_id"  # every route about one site has it in its path: /sites/{site_id}/…


def _on_site(holder: KeyHolder, site_id: str) -> Caller:
    caller = holder.at(site_id)
    if caller is None:
        raise HTTPException(
            403, f"API key '{holder.name}' has no role on site '{site_id[:64]}' (it holds {holder.grants.describe()})"
        )
    return caller


def site_member(request: Request, holder: KeyHolderDep) -> KeyHolder:
    """The key, if it holds a role on the site in the path; else 403. `this_site` runs it before its 404, so a
    key learns nothing about a site it has no role on, whatever order a route declares its dependencies in."""
    site_id = request.path_params.get(SITE_PARAM)
    if site_id is not None:
        _on_site(holder, site_id)
    return holder


def caller_for(holder: KeyHolder, site_id: str | None, permission: Permission) -> Caller:
    """The key as it acts where the request is (`site_id` from the path, None off-site) if it may use
    `permission` there; else 403 naming the site or the missing all-sites role."""
    if site_id is not None:
        caller = _on_site(holder, site_id)
        where = f" on site '{site_id}'"
    else:
        everywhere = holder.for_global(permission)
        if everywhere is None:
            raise HTTPException(
                403,
                f"API key '{holder.name}' holds roles on some sites only ({holder.grants.describe()}); this "
                "endpoint is not under /sites/{site_id} and needs a role on every site ('*')",
            )
        caller, where = everywhere, ""
    if not caller.may(permission):
        raise HTTPException(403, f"Role '{caller.role}'{where} lacks the permission '{permission}' this endpoint needs")
    return caller


# Each permission's check function, so a route's requirements can be read back (`required_permissions`).
_CHECKS: dict[Callable[..., Caller], Permission] = {}


@cache
def _check_for(permission: Permission) -> Callable[..., Caller]:
    def check(request: Request, holder: KeyHolderDep) -> Caller:
        return caller_for(holder, request.path_params.get(SITE_PARAM), permission)

    _CHECKS[check] = permission
    return check


def require(permission: Permission) -> Any:
    """A dependency that lets a request through only with a key whose role grants `permission`: its role on
    the site in the path for `/sites/{site_id}/…`, its all-sites (`*`) role elsewhere.

    Use it in a route's `dependencies=[require(Permission.READ_SITE)]`, or as a parameter
    `caller: Annotated[Caller, require(Permission.MANAGE_KEYS)]` when the route needs the caller.
    """
    return Depends(_check_for(permission))


def required_permissions(dependant: Dependant) -> frozenset[Permission]:
    """Every permission a route's dependency tree requires; empty for an open route (`/health`)."""
    found: set[Permission] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call in _CHECKS:
            found.add(_CHECKS[current.call])
        pending.extend(current.dependencies)
    return frozenset(found)


def route_permissions(app: FastAPI) -> dict[tuple[str, str], frozenset[Permission]]:
    """(method, path) → the permissions it requires, for every API route of the app (included routers too)."""
    # FastAPI ≥ 0.16x keeps included routers as nodes; iter_route_contexts flattens them, older ones are flat.
    flatten: Callable[[Any], Iterable[Any]] = getattr(fastapi.routing, "iter_route_contexts", iter)
    table: dict[tuple[str, str], frozenset[Permission]] = {}
    for route in flatten(app.routes):
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant):
            for method in route.methods or ():
                table[(method, route.path)] = required_permissions(dependant)
    return table
