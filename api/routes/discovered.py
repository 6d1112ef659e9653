"""Discovered devices (issue 19): Home Assistant discovery entities, and devices the hub heard from but the site
file does not name (their messages are dead letters `unknown asset id`); staff adopt one into the site."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES, ErrorOut
from collectors.mqtt.discovered import DiscoveryBook
from core.config_files import ConfigError
from core.inventory import Adoption

log = logging.getLogger("facilities.api")
DEAD_LETTERS_READ = 1000  # the newest dead letters searched for unknown devices
_UNKNOWN = re.compile(r"unknown asset id '([^']{1,128})'")

router = APIRouter(prefix="/devices", tags=["devices"], responses=ERROR_RESPONSES)


class EntityOut(BaseModel):
    unique_id: str
    component: str
    name: str | None
    device_name: str | None
    model: str | None
    manufacturer: str | None
    state_topic: str | None
    value_template: str | None
    json_path: str | None
    unit: str | None
    device_class: str | None
    online: bool | None  # from its availability topic; None: not reported
    supported: bool  # false: listed but not adoptable; `problems` says why
    problems: list[str]


class UnknownOut(BaseModel):
    asset_id: str
    topic: str
    messages: int  # among the newest dead letters
    last_at: datetime


class DiscoveredOut(BaseModel):
    entities: list[EntityOut]
    unknown: list[UnknownOut]


class AdoptIn(BaseModel):
    asset_id: str = Field(max_length=64, examples=["leak-b1-pump"])
    kind: str = Field(max_length=64, pattern=r"^[a-z][a-z0-9_]*$", examples=["water_leak", "electricity"])
    unit: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=64, examples=["b1-pump-room"])
    name: str | None = Field(default=None, max_length=128)
    field: str | None = Field(default=None, max_length=64)
    expected_interval_s: int | None = Field(default=None, ge=1, le=86_400)
    unique_id: str | None = Field(default=None, max_length=256, description="The discovered entity; none: own format")


@router.get("/discovered", summary="Devices announced by discovery or heard from but not in the site file")
def list_discovered(deps: DepsDep, _: Annotated[Caller, require(Permission.READ_SITE)]) -> DiscoveredOut:
    book = deps.discovery if deps.discovery is not None else DiscoveryBook()
    entities = [
        EntityOut(
            **{k: getattr(e, k) for k in EntityOut.model_fields if k not in ("online", "problems")},
            online=book.online(e),
            problems=list(e.problems),
        )
        for e in book.entities()
    ]
    unknown: dict[str, UnknownOut] = {}
    for letter in deps.dead_letters.dead_letters(DEAD_LETTERS_READ):
        match = _UNKNOWN.search(letter.error)
        if match is None or match.group(1) in deps.registry:
            continue  # adopted since
        seen = unknown.get(match.group(1))
        if seen is None:
            unknown[match.group(1)] = UnknownOut(
                asset_id=match.group(1), topic=letter.source[:256], messages=1, last_at=letter.received_at
            )
        else:
            seen.messages += 1
    return DiscoveredOut(entities=entities, unknown=sorted(unknown.values(), key=lambda u: u.asset_id))


@router.post(
    "/adopt",
    status_code=201,
    summary="Add a discovered device to the site file and reload",
    responses={
        404: {"model": ErrorOut, "description": "No hub here, or no such discovered entity"},
        422: {"model": ErrorOut, "description": "The site file would be invalid; it is left as it was"},
    },
)
def adopt(body: AdoptIn, deps: DepsDep, caller: Annotated[Caller, require(Permission.ADOPT_DEVICES)]) -> dict[str, str]:
    if deps.device_adopter is None:
        raise HTTPException(404, "no hub runs in this process: nothing to adopt into")
    adoption = Adoption(**body.model_dump(exclude={"unique_id"}))
    try:
        deps.device_adopter(adoption, body.unique_id)
    except KeyError:
        raise HTTPException(404, f"no discovered entity {body.unique_id!r}") from None
    except ConfigError as exc:
        raise HTTPException(422, f"not adopted, the site file is unchanged:\n{exc}") from None
    log.warning("device %s adopted as %s by %s", body.unique_id or body.asset_id, body.asset_id, caller.name)
    return {"asset_id": body.asset_id, "adopted_by": caller.name}
