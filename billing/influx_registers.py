"""Boundary registers of every meter of a site from InfluxDB in two InfluxQL statements, not two per meter.

`SELECT last("total") … GROUP BY "meter_id"` over a window before the boundary and `first("total")` over a
window after it; a lone selector keeps the timestamp of the point it picked. Meters with nothing inside the
window (silent meters, the ones that need estimates) are asked one by one through the store, so the result
is exactly what `StoreRegisterReader` returns, only faster.

This is an adapter on `storage.influx.InfluxV1Store`; it lives here until the ReadingStore port grows a
batch lookup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from billing.registers import Neighbours
from billing.sources import REGISTER_FIELD
from core.reading import from_ns, to_ns
from core.registry import AssetInfo
from storage.influx import InfluxV1Store
from storage.influxql import quote_ident, quote_literal
from storage.store import Sample


class InfluxRegisterReader:
    """Neighbours for many meters per request; `window` bounds the batch scan either side of the boundary.

    Give it the billing tolerance (`config.tolerance`): a reading further away is an estimate's starting
    point anyway, and is found by the per-meter fallback. Any window gives the same result; a wider one
    costs InfluxDB more points to scan, a narrower one more per-meter fallbacks.
    """

    def __init__(self, store: InfluxV1Store, *, window: timedelta = timedelta(hours=6)) -> None:
        self.store = store
        self.window = window

    def around(self, assets: Sequence[AssetInfo], when: datetime) -> dict[str, Neighbours]:
        """Two InfluxQL statements per site, then a per-meter lookup for each meter missing from the window."""
        by_site: dict[str, list[AssetInfo]] = defaultdict(list)
        for asset in assets:
            by_site[asset.tags.get("site", "")].append(asset)
        result: dict[str, Neighbours] = {}
        for site_id, site_assets in by_site.items():
            ids = [asset.asset_id for asset in site_assets]
            before = self._select(site_id, ids, "last", to_ns(when - self.window), to_ns(when))
            after = self._select(site_id, ids, "first", to_ns(when), to_ns(when + self.window))
            for asset in site_assets:
                found_before = before.get(asset.asset_id)
                if found_before is None:
                    found_before = self.store.last_before(asset, REGISTER_FIELD, when)
                found_after = after.get(asset.asset_id)
                if found_after is None:
                    found_after = self.store.first_at_or_after(asset, REGISTER_FIELD, when)
                result[asset.asset_id] = Neighbours(found_before, found_after)
        return result

    def _select(
        self, site_id: str, meter_ids: list[str], selector: str, start_ns: int, end_ns: int
    ) -> dict[str, Sample]:
        """meter_id -> the sample `selector` ("first" or "last", fixed names) picks in [start, end)."""
        measurement = quote_ident("meter")
        rp = self.store.retention_policy
        source = f"{quote_ident(rp)}.{measurement}" if rp else measurement
        site = f"{quote_ident('site')} = {quote_literal(site_id)} AND " if site_id else ""
        # Escaped ids in an anchored alternation; InfluxDB matches it against its tag index.
        pattern = "|".join(re.escape(meter_id).replace("/", r"\/") for meter_id in meter_ids)
        statement = (
            f"SELECT {selector}({quote_ident(REGISTER_FIELD)}) FROM {source} "  # noqa: S608 (quoted, fixed names)
            f"WHERE {site}{quote_ident('meter_id')} =~ /^(?:{pattern})$/ AND time >= {start_ns}ns "
            f"AND time < {end_ns}ns GROUP BY {quote_ident('meter_id')}"
        )
        rows: list[dict[str, Any]] = self.store.query(statement)
        return {
            str(row["meter_id"]): Sample(from_ns(int(row["time"])), row[selector])
            for row in rows
            if row.get(selector) is not None
        }
