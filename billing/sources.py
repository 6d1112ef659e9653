"""Where billing reads registers from: any ReadingStore, one meter at a time, or a batch reader in front of it.

Billing needs, per meter and boundary, the newest reading before the boundary and the oldest at or after it.
`StoreRegisterReader` asks the store per meter (right for the embedded store, where a query is a b-tree
seek); `billing.influx_registers.InfluxRegisterReader` asks InfluxDB for all meters in one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from billing.registers import Neighbours
from core.registry import AssetInfo
from storage.store import ReadingStore

# The meter field that holds the cumulative register (kWh or m³).
REGISTER_FIELD = "total"


class RegisterReader(Protocol):
    def around(self, assets: Sequence[AssetInfo], when: datetime) -> dict[str, Neighbours]:
        """Per asset id, the newest `total` strictly before `when` and the oldest at or after it."""


class StoreRegisterReader:
    """Neighbours from a ReadingStore's `last_before` / `first_at_or_after`, one meter at a time."""

    def __init__(self, store: ReadingStore) -> None:
        self.store = store

    def around(self, assets: Sequence[AssetInfo], when: datetime) -> dict[str, Neighbours]:
        """Two store lookups per asset."""
        return {
            asset.asset_id: Neighbours(
                self.store.last_before(asset, REGISTER_FIELD, when),
                self.store.first_at_or_after(asset, REGISTER_FIELD, when),
            )
            for asset in assets
        }
