"""What the console needs from the composition root: the same dependencies the API gets, read through this
protocol so the console imports nothing of the API (`api.ports.ApiDependencies` is one such object)."""

from __future__ import annotations

from typing import Protocol

from access.orders import Actor
from core.registry import AssetRegistry
from core.site import Site
from storage.store import ReadingStore
from workorders.application import EntryDeps


class ConsoleDeps(EntryDeps, Protocol):
    """The bus's dependencies (site, sessions, clock, unit of work, event subscriber), the readings, and the
    company's sites for the company-wide page."""

    @property
    def registry(self) -> AssetRegistry: ...
    @property
    def store(self) -> ReadingStore: ...

    def company_sites(self, who: Actor | None) -> tuple[str, dict[str, Site]]:
        """The company's name and the sites `who` may see (no portfolio: this hub's site)."""

    def store_of(self, site_id: str) -> ReadingStore | None:
        """The reading store holding a site's meters."""
