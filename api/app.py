"""The FastAPI application factory: `create_app(deps)` wires the routers to the ports it is given.

The composition root builds `ApiDependencies` from settings and calls it, e.g. a `build_api_app()`
in `facilities/bootstrap.py` run with `uvicorn --factory facilities.bootstrap:build_api_app`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request

from access.roles import Permission, Role
from api.deps import require
from api.errors import install_error_handlers
from api.ports import ApiDependencies
from api.router import api_router

DESCRIPTION = """Assets, readings, dead letters, health and metrics of a facilities-monitoring hub.

Every endpoint except `/health` needs an API key, sent as `X-API-Key: fac_…` or
`Authorization: Bearer fac_…`. Roles: {roles}. Errors answer `{{"error": {{"code", "message"}}}}`.
""".format(roles=", ".join(role.value for role in Role))


# Where a browser without a key reads the schema when the web console is mounted: its session cookie is scoped
# to /console, and console/docs_pages.py serves the same document there to signed-in staff.
CONSOLE_SCHEMA = "/console/openapi.json"


def _browser_to_console(request: Request) -> None:
    """A browser opening /openapi.json without a key goes to the console's copy (sign-in there); a client
    with a key, or any request not asking for a page, is answered by the key check as before."""
    asks_for_page = "text/html" in request.headers.get("accept", "")
    has_key = "x-api-key" in request.headers or "authorization" in request.headers
    if asks_for_page and not has_key and getattr(request.app.state, "console", None) is not None:
        raise HTTPException(307, "Sign in to the console to read the schema", headers={"Location": CONSOLE_SCHEMA})


def create_app(
    deps: ApiDependencies,
    *,
    routers: Sequence[APIRouter] = (),
    conflicts: Sequence[type[Exception]] = (),
) -> FastAPI:
    """The API over `deps`; `routers` adds routers built elsewhere (alarms, work orders, billing).

    Extra routers must protect their routes with `api.deps.require(Permission.…)`. Exceptions of the
    `conflicts` types (e.g. an illegal work-order transition) answer 409 with their message.
    The OpenAPI document is served at `/openapi.json` to any valid key; a browser without one is sent to the
    console's copy when the console is mounted (`/console/docs` shows it with Swagger UI).
    """
    app = FastAPI(
        title="Facilities monitoring API",
        version="1",
        description=DESCRIPTION,
        openapi_url=None,  # served below behind a key: nothing but /health is open
        docs_url=None,
        redoc_url=None,
    )
    app.state.deps = deps
    install_error_handlers(app, conflicts=conflicts)
    app.include_router(api_router)
    for router in routers:
        app.include_router(router)

    @app.get(
        "/openapi.json",
        include_in_schema=False,
        dependencies=[Depends(_browser_to_console), require(Permission.READ_API_SCHEMA)],
    )
    def openapi() -> dict[str, Any]:
        return app.openapi()

    return app
