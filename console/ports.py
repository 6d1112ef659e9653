"""What the console needs from the composition root: the same dependencies the API gets, read through this
protocol so the console imports nothing of the API (`api.ports.ApiDependencies` is one such object)."""

from __future__ import annotations

from typing import Protocol

from core.registry import AssetRegistry
from storage.store import ReadingStore
from workorders.application import EntryDeps


class ConsoleDeps(EntryDeps, Protocol):
    """The bus's dependencies (site, sessions, clock, unit of work, event subscriber) and the readings."""

    @property
    def registry(self) -> AssetRegistry: ...
    @property
    def store(self) -> ReadingStore: ...
