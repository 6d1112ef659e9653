"""Reloading the site file into the running hub: new devices start, removed ones stop, no restart (admin only).

Only where the hub runs in the same process (`facilities run` adds this router); SIGHUP does the same.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES, ErrorOut
from core.config_files import ConfigError

log = logging.getLogger("facilities.api")

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorOut, "description": "No hub runs in this process"},
        422: {"model": ErrorOut, "description": "The site file was refused; the running configuration stays"},
    },
)


class ReloadOut(BaseModel):
    source: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    subscribed: list[str]
    unsubscribed: list[str]
    pollers_restarted: list[str]
    alarms_cleared: int
    reloaded_by: str


@router.post("/reload", summary="Read the site file again; a refused file changes nothing")
def reload_site(deps: DepsDep, caller: Annotated[Caller, require(Permission.RELOAD_SITE)]) -> ReloadOut:
    if deps.site_reloader is None:
        raise HTTPException(404, "no hub runs in this process: nothing to reload")
    try:
        result = deps.site_reloader()
    except ConfigError as exc:
        # Each line is `file: key: what to change`, as `facilities check` prints them.
        raise HTTPException(422, f"site file refused, nothing changed:\n{exc}") from None
    fields: dict[str, Any] = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else {}  # type: ignore[arg-type]
    log.warning("site file reloaded by %s", caller.name)
    return ReloadOut(**fields, reloaded_by=caller.name)
