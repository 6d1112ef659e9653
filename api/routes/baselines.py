"""Relearning an asset's baseline after an overhaul: the rules engine judges the car against itself as it is now.

Only where the rules engine runs in the same process (`facilities run` adds this router); admin and staff.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel

from access.roles import Permission
from api.auth import Caller
from api.deps import ClockDep, DepsDep, require
from api.schemas import ERROR_RESPONSES, ErrorOut, not_found
from api.workorder_deps import SiteIdDep

log = logging.getLogger("facilities.api")

router = APIRouter(
    prefix="/sites/{site_id}/rules/{rule_id}/assets/{asset_id}",
    tags=["rules"],
    responses={
        **ERROR_RESPONSES,
        **not_found("No such site, or the rule does not watch that asset"),
        409: {"model": ErrorOut, "description": "The rule learns no baseline"},
    },
)


class BaselineResetOut(BaseModel):
    rule_id: str
    asset_id: str
    reset_by: str
    reset_at: datetime


@router.post("/baseline/reset", summary="Forget the learnt baseline; the next normal readings teach it again")
def reset_baseline(
    site_id: SiteIdDep,
    rule_id: Annotated[str, Path(max_length=128, examples=["elevator-vibration"])],
    asset_id: Annotated[str, Path(max_length=128, examples=["B1-L1"])],
    deps: DepsDep,
    clock: ClockDep,
    caller: Annotated[Caller, require(Permission.RESET_BASELINES)],
) -> BaselineResetOut:
    if deps.baseline_resetter is None:
        raise HTTPException(404, "the rules engine does not run in this process")
    try:
        reset = deps.baseline_resetter(rule_id, asset_id)
    except KeyError:
        raise HTTPException(404, f"rule {rule_id} does not watch asset {asset_id} in site {site_id}") from None
    if not reset:
        raise HTTPException(409, f"rule {rule_id} learns no baseline: its levels are fixed")
    log.warning("baseline of %s on %s reset by %s", rule_id, asset_id, caller.name)
    return BaselineResetOut(rule_id=rule_id, asset_id=asset_id, reset_by=caller.name, reset_at=clock.now())
