"""One error shape for every failure: `{"error": {"code": …, "message": …}}`, plus `details` for 422.

Registered by `create_app`, so routing errors (404, 405), validation errors and the exceptions of
our ports become JSON a client can act on; an unexpected exception is a 500 that names no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage.store import StoreUnavailable

log = logging.getLogger("facilities.api")

_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {
        "error": {
            "code": _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
            "message": message,
            **extra,
        }
    }


def _respond(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 (registered for this type only)
    headers = dict(exc.headers) if exc.headers else None
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    # Routing errors carry only the status phrase; say which request had no route.
    if message == HTTPStatus(exc.status_code).phrase:
        where = f"{request.method} {request.url.path}"
        if exc.status_code == 404:
            message = f"No endpoint at {request.url.path}; the API's paths are listed in /openapi.json"
        elif exc.status_code == 405:
            allowed = (headers or {}).get("allow", (headers or {}).get("Allow", ""))
            message = f"{where} is not supported; allowed methods: {allowed or 'none'}"
    return _respond(exc.status_code, message, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    # ("query", "start") → "query.start"; body paths keep their indexes: "body.items[0].name".
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 (registered for this type only)
    details = [
        {"location": _location(tuple(error.get("loc", ()))), "message": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]
    message = "; ".join(f"{d['location']}: {d['message']}" for d in details) or "invalid request"
    return _respond(422, message, details=details)


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("reading store unavailable: %s", exc)
    return _respond(503, "The reading store is unavailable; try again shortly", headers={"Retry-After": "5"})


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database error: %s", exc)
    return _respond(503, "The database is unavailable; try again shortly", headers={"Retry-After": "5"})


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    # Domain refusals (an illegal transition, a concurrent update) carry a message meant for the caller.
    return _respond(409, str(exc))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after this response, so the server logs the traceback once; no log here.
    return _respond(500, "Internal error; it has been logged")


def install_error_handlers(app: FastAPI, *, conflicts: Sequence[type[Exception]] = ()) -> None:
    """Make every error, expected or not, a JSON body of the one shape; `conflicts` answer 409."""
    for conflict in conflicts:
        app.add_exception_handler(conflict, _conflict)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    # Connection trouble only; a refused statement is our bug (inputs are validated first), so a 500.
    for unreachable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unreachable, _database_error)
    app.add_exception_handler(Exception, _unexpected)
