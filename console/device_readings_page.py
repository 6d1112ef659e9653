"""One device's page (issue 19): the last value and time of each of its fields, as `readings latest` and
`GET /sites/{site}/assets/{id}/latest` give them, so a device that reports fields in separate messages (a Shelly's
power, then its total) shows every field with its own time.

Viewing needs `site:read`, like the devices page.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from access.roles import Permission
from console.device_words import DEVICE_WORDS
from console.web import app_deps, not_found, render, site_zone, staff_or_login
from console.web import words_for as _words
from storage.store import StoreUnavailable

router = APIRouter(prefix="/console", include_in_schema=False)
log = logging.getLogger(__name__)


@router.get("/devices/{asset_id}")
def device_page(request: Request, asset_id: str) -> Response:
    viewer = staff_or_login(request, Permission.READ_SITE)
    if isinstance(viewer, Response):
        return viewer
    deps = app_deps(request)
    if asset_id not in deps.registry:
        return not_found(request, viewer)
    info = deps.registry.get(asset_id)
    unavailable = False
    try:
        latest = deps.store.latest(info)
    except StoreUnavailable as exc:  # the page still shows what the device is; the store's state is on /health
        log.warning("latest reading of %s failed: %s", asset_id, exc)
        latest, unavailable = None, True
    zone = site_zone(request)
    units = {}
    if info.device_kind is not None:
        units = {name: spec.unit for name, spec in info.device_kind.fields.items()}
    rows = []
    if latest is not None:
        for name, value in sorted(latest.fields.items()):
            at = latest.times.get(name, latest.ts)
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            rows.append((name, shown, units.get(name, ""), at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")))
    kind = info.device_kind.id if info.device_kind is not None else info.kind.value
    place = " ".join(v for v in (info.tags.get("building"), info.tags.get("unit") or info.tags.get("area")) if v)
    return render(
        request, "device.html", viewer=viewer, d=DEVICE_WORDS[_words(request).lang], asset_id=asset_id, kind=kind,
        place=place, rows=rows, unavailable=unavailable,
    )  # fmt: skip
