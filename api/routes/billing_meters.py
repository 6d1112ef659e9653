"""Meter swaps and manual readings (抄表) for billing, entered by staff: the old meter's final register and the
new one's initial register at the swap, or a register read by hand for a meter that cannot report.

Both need `billing:run` (admin, staff); the caller's key name goes into the audit trail. The checks are
billing's own (`billing.manual_readings.check_register`): a meter of the site, a time with a zone and not in
the future, a finite register ≥ 0 within the meter's maximum; anything else answers 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES, not_found
from api.workorder_deps import SiteIdDep
from billing.manual_readings import SwapClash, record_manual_reading, record_swap
from billing.registers import Replacement

router = APIRouter(
    prefix="/sites/{site_id}/billing",
    tags=["billing"],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub")},
)

StaffDep = Annotated[Caller, require(Permission.RUN_BILLING)]
Register = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=18, decimal_places=6)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplacementIn(_In):
    meter_id: str = Field(min_length=1, max_length=64, examples=["G-0101"])
    replaced_at: datetime = Field(description="When the meter was swapped, with its zone.")
    old_final: Register = Field(description="The old meter's last register.")
    new_initial: Register = Field(description="The new meter's first register.")
    note: str = Field(default="", max_length=500)


class ReplacementOut(ReplacementIn):
    recorded_by: str


class ManualReadingIn(_In):
    meter_id: str = Field(min_length=1, max_length=64, examples=["W-0101"])
    read_at: datetime = Field(description="When the register was read, with its zone.")
    value: Register = Field(description="The register as read.")
    note: str = Field(default="", max_length=500)


class ManualReadingOut(ManualReadingIn):
    recorded_by: str


@router.post(
    "/replacements",
    status_code=201,
    summary="Record a meter swap: the old meter's final and the new meter's initial register",
)
def replace_meter(site_id: SiteIdDep, deps: DepsDep, caller: StaffDep, body: ReplacementIn) -> ReplacementOut:
    """Periods billed from now on add the two meters' legs; a final period is corrected by an adjustment run."""
    swap = Replacement(body.meter_id, body.replaced_at, body.old_final, body.new_initial, body.note)
    try:
        record_swap(deps.session_factory, deps.site, swap, now=deps.clock.now(), by=caller.name)
    except SwapClash as exc:
        raise HTTPException(409, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return ReplacementOut(**body.model_dump(), recorded_by=caller.name)


@router.post("/readings", status_code=201, summary="Enter a register read by hand (抄表)")
def manual_reading(site_id: SiteIdDep, deps: DepsDep, caller: StaffDep, body: ManualReadingIn) -> ManualReadingOut:
    """Written to the reading store as the meter's register at `read_at`; the audit row keeps who and why."""
    try:
        record_manual_reading(
            deps.session_factory, deps.store, deps.site, body.meter_id, body.read_at, body.value,
            clock=deps.clock, by=caller.name, note=body.note,
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return ManualReadingOut(**body.model_dump(), recorded_by=caller.name)
