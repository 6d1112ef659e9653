"""Browsable API documentation: Swagger UI and ReDoc, behind the console's sign-in.

`/docs` and `/redoc` send the browser to `/console/docs` and `/console/redoc`: the console's session cookie is
scoped to `/console`, so the pages and the schema they read (`/console/openapi.json`, the same document the
API serves at `/openapi.json` to a key with `api:schema`) live there.

The pages load only files the project ships: Swagger UI's and ReDoc's bundles come with the `fastapi-offline`
package (Swagger UI: Apache-2.0, ReDoc: MIT, the package: MIT), the start-up script is ours. Many property
intranets have no internet, so nothing is fetched from a CDN."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import cast

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from access.roles import Permission
from console.web import STATIC, staff_or_login

BUNDLED = Path(fastapi_offline.__file__).parent / "static"
DOCS_FILES: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (BUNDLED / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (BUNDLED / "swagger-ui-bundle.js", "text/javascript"),
    "redoc.standalone.js": (BUNDLED / "redoc.standalone.js", "text/javascript"),
    "swagger-init.js": (STATIC / "swagger-init.js", "text/javascript"),
}
# Swagger UI and ReDoc style their elements inline and ReDoc runs its search in a blob: worker.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)
SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API · Swagger UI</title><link rel="stylesheet" href="/console/docs/static/swagger-ui.css"></head>
<body><p style="font-family:sans-serif;margin:8px 16px">
<a href="/console">Console</a> · <a href="/console/redoc">ReDoc</a></p>
<div id="swagger-ui"></div>
<script src="/console/docs/static/swagger-ui-bundle.js"></script>
<script src="/console/docs/static/swagger-init.js"></script>
</body></html>"""
REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API · ReDoc</title></head>
<body><p style="font-family:sans-serif;margin:8px 16px">
<a href="/console">Console</a> · <a href="/console/docs">Swagger UI</a></p>
<redoc spec-url="/console/openapi.json" id="redoc"></redoc>
<script src="/console/docs/static/redoc.standalone.js"></script>
</body></html>"""

router = APIRouter(include_in_schema=False)


def _page(request: Request, html: str) -> Response:
    viewer = staff_or_login(request, Permission.READ_API_SCHEMA)
    if isinstance(viewer, Response):
        return viewer
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/docs")
def docs_redirect() -> Response:
    return RedirectResponse("/console/docs", status_code=307)


@router.get("/redoc")
def redoc_redirect() -> Response:
    return RedirectResponse("/console/redoc", status_code=307)


@router.get("/console/docs")
def swagger_ui(request: Request) -> Response:
    return _page(request, SWAGGER_PAGE)


@router.get("/console/redoc")
def redoc(request: Request) -> Response:
    return _page(request, REDOC_PAGE)


# ReDoc's sidebar shows its maker's logo from their CDN: an intranet without internet must not try to reach it.
REDOC_CDN_LOGO = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'


@cache
def _redoc_offline(path: Path) -> bytes:
    return path.read_bytes().replace(REDOC_CDN_LOGO, b'src:"data:,"')


@router.get("/console/docs/static/{name}")
def docs_static(name: str) -> Response:
    """The docs pages' scripts and stylesheet; open like the console's stylesheet (they hold no data)."""
    found = DOCS_FILES.get(name)
    if found is None or not found[0].is_file():
        return Response(status_code=404)
    headers = {"Cache-Control": "public, max-age=86400"}
    if name == "redoc.standalone.js":
        return Response(_redoc_offline(found[0]), media_type=found[1], headers=headers)
    return FileResponse(found[0], media_type=found[1], headers=headers)


@router.get("/console/openapi.json")
def schema(request: Request) -> Response:
    """The API's OpenAPI document for a signed-in staff member (the docs pages read it with the session)."""
    viewer = staff_or_login(request, Permission.READ_API_SCHEMA)
    if isinstance(viewer, Response):
        return viewer
    app = cast(FastAPI, request.app)
    return JSONResponse(app.openapi(), headers={"Cache-Control": "no-store"})
