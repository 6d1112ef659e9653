"""The health of one part of the hub, as /health, /health/ready and `facilities status` report it.

`ok`: working. `degraded`: working with a problem someone should look at, nothing is lost (the store is
down and readings wait in the spool; a meter is offline). `failing`: the part cannot do its job now
(the spool cannot be written, the broker has been gone for a while, alarms cannot reach work orders).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Figure = float | int | str | bool | None


class HealthState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAILING = "failing"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {HealthState.OK: 0, HealthState.DEGRADED: 1, HealthState.FAILING: 2}


@dataclass(frozen=True)
class ComponentHealth:
    """One part's state, a sentence saying why, and the numbers behind it (ages in seconds)."""

    state: HealthState
    detail: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    @classmethod
    def ok(cls, detail: str, **figures: Figure) -> ComponentHealth:
        return cls(HealthState.OK, detail, figures)

    @classmethod
    def degraded(cls, detail: str, **figures: Figure) -> ComponentHealth:
        return cls(HealthState.DEGRADED, detail, figures)

    @classmethod
    def failing(cls, detail: str, **figures: Figure) -> ComponentHealth:
        return cls(HealthState.FAILING, detail, figures)


def overall(states: Iterable[HealthState]) -> HealthState:
    """The worst of the states (ok when there are none)."""
    return max(states, key=lambda state: state.rank, default=HealthState.OK)
