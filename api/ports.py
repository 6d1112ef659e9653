"""What the API needs from the rest of the system, handed in by the composition root.

Only ports and plain values: the API never builds a store, a spool or an engine itself, so tests
pass fakes or temporary real ones and `facilities/bootstrap.py` passes the production adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session

from core.clock import Clock, SystemClock
from core.config import Site
from core.registry import AssetRegistry
from storage.spool import DeadLetter
from storage.store import ReadingStore

# Makes database sessions: `storage.database.session_factory(engine)`.
SessionFactory = Callable[[], Session]
# A health check answers (ok, detail): detail says what was checked or what is wrong.
HealthCheck = Callable[[], tuple[bool, str]]


class DeadLetterSource(Protocol):
    """Rejected input, newest first (`storage.spool.Spool` is one)."""

    def dead_letters(self, limit: int) -> Sequence[DeadLetter]: ...

    def dead_letter_count(self) -> int: ...


@dataclass(frozen=True)
class ApiDependencies:
    """Everything `create_app` wires into the routers."""

    site: Site
    registry: AssetRegistry
    store: ReadingStore
    dead_letters: DeadLetterSource
    session_factory: SessionFactory
    # Named checks for /health, e.g. {"broker": …, "store": …, "database": …}.
    health_checks: Mapping[str, HealthCheck]
    metrics: CollectorRegistry
    clock: Clock = field(default_factory=SystemClock)
    # Seconds /health waits for all checks together before it counts the slow ones as failed.
    health_timeout_s: float = 5.0
