"""What the console needs from the composition root: the same dependencies the API gets, read through this
protocol so the console imports nothing of the API (`api.ports.ApiDependencies` is one such object)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from core.clock import Clock
from core.config import Site
from core.registry import AssetRegistry
from storage.store import ReadingStore
from workorders.events import WorkOrderEvent
from workorders.unit_of_work import UnitOfWork


class ConsoleDeps(Protocol):
    @property
    def site(self) -> Site: ...
    @property
    def registry(self) -> AssetRegistry: ...
    @property
    def store(self) -> ReadingStore: ...
    @property
    def session_factory(self) -> Callable[[], Session]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def uow_factory(self) -> Callable[[], UnitOfWork] | None: ...
    @property
    def work_order_events(self) -> Callable[[WorkOrderEvent], None] | None: ...
