"""Stored readings of one asset: the latest values and the history of a field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from access.roles import Permission
from api.deps import AssetDep, ClockDep, StoreDep, require
from api.schemas import ERROR_RESPONSES, not_found
from api.time_bounds import EARLIEST, LATEST
from core.durations import SPAN_PATTERN, parse_span
from core.reading import FieldValue
from storage.store import Aggregate

router = APIRouter(
    prefix="/assets/{asset_id}/readings",
    tags=["readings"],
    dependencies=[require(Permission.READ_READINGS)],
    responses={**ERROR_RESPONSES, **not_found("No such asset in the site")},
)

# Both InfluxDB and the embedded store hold 1677–2262; readings before 1970 do not exist here.
DEFAULT_WINDOW = timedelta(hours=24)
MAX_RAW_WINDOW = timedelta(days=7)  # raw samples come back whole from the store, so bound them
MAX_BUCKETS = 10_000
MAX_EVERY = timedelta(days=366)
MAX_SAMPLES = 10_000


class LatestOut(BaseModel):
    asset_id: str
    ts: datetime | None  # the newest of the field times; None: nothing stored yet
    fields: dict[str, FieldValue]  # the last stored value of each field
    times: dict[str, datetime] = {}  # when each field was last stored


class SampleOut(BaseModel):
    ts: datetime
    value: FieldValue


class HistoryOut(BaseModel):
    asset_id: str
    field: str
    start: datetime
    end: datetime
    every: str | None
    aggregate: Aggregate | None
    samples: list[SampleOut]
    truncated: bool  # more raw samples than `limit` were stored; narrow the window or add `every`


@router.get("/latest", summary="The last stored value and time of each field of an asset")
def latest(asset: AssetDep, store: StoreDep) -> LatestOut:
    value = store.latest(asset)
    if value is None:
        return LatestOut(asset_id=asset.asset_id, ts=None, fields={})
    return LatestOut(asset_id=asset.asset_id, ts=value.ts, fields=dict(value.fields), times=dict(value.times))


@router.get("/history", summary="One field of an asset over a time window, raw or aggregated per bucket")
def history(
    asset: AssetDep,
    store: StoreDep,
    clock: ClockDep,
    field: Annotated[
        str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", description="e.g. total, floor, on")
    ],
    start: Annotated[
        AwareDatetime | None,
        Query(description="Inclusive, with an offset (2026-11-26T08:00:00+08:00); default: 24 h before end."),
    ] = None,
    end: Annotated[AwareDatetime | None, Query(description="Exclusive, with an offset; default: now.")] = None,
    every: Annotated[
        str | None,
        Query(pattern=SPAN_PATTERN, description="Bucket length, e.g. 15m, 1h, 1d; raw samples if omitted."),
    ] = None,
    aggregate: Annotated[Aggregate, Query(description="Per bucket (with `every`); `last` suits registers.")] = (
        Aggregate.LAST
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_SAMPLES, description="Most raw samples returned.")] = MAX_SAMPLES,
) -> HistoryOut:
    end = end or clock.now()
    if not EARLIEST <= end <= LATEST:
        raise HTTPException(422, f"end must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    start = start or max(end - DEFAULT_WINDOW, EARLIEST)
    if not EARLIEST <= start < end:
        raise HTTPException(422, f"start must be before end and not before {EARLIEST.isoformat()}")
    bucket = parse_span(every, example="1h") if every is not None else None
    if bucket is None and end - start > MAX_RAW_WINDOW:
        raise HTTPException(422, "raw samples are served for at most 7 days; add every (e.g. 1h) or narrow the window")
    if bucket is not None and (bucket > MAX_EVERY or (end - start) / bucket > MAX_BUCKETS):
        raise HTTPException(422, f"at most {MAX_BUCKETS} buckets of at most 366d; choose a longer every")
    try:
        samples = store.history(asset, field, start, end, every=bucket, aggregate=aggregate)
    except ValueError as exc:  # e.g. mean of a string field: the stores refuse it up front
        raise HTTPException(422, str(exc)) from None
    return HistoryOut(
        asset_id=asset.asset_id,
        field=field,
        start=start,
        end=end,
        every=every,
        aggregate=aggregate if bucket is not None else None,
        samples=[SampleOut(ts=s.ts, value=s.value) for s in samples[:limit]],
        truncated=len(samples) > limit,
    )
