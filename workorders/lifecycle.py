"""The work-order lifecycle: states, the one table of legal moves, and the errors a refused move raises.

open → acknowledged → on_site → resolved → closed; an order nobody has reached yet may be cancelled.
A technician who finds nothing to fix still resolves the order ("no fault found"), so the visit is on
record; cancelling after arrival would hide it.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# The states in which an alarm still has someone working on it: at most one such order per (site, asset, rule).
ACTIVE_STATES: frozenset[Status] = frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.ON_SITE})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.ACKNOWLEDGED, Status.CANCELLED}),
    Status.ACKNOWLEDGED: frozenset({Status.ON_SITE, Status.CANCELLED}),
    Status.ON_SITE: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class WorkOrderConflict(Exception):
    """The request does not fit the order's current state (the API answers 409)."""


class IllegalTransition(WorkOrderConflict):
    """A move the lifecycle does not allow; the message names the order, both states and the legal moves."""

    def __init__(self, code: str, from_status: Status, to_status: Status) -> None:
        self.code = code
        self.from_status = from_status
        self.to_status = to_status
        allowed = ", ".join(sorted(TRANSITIONS[from_status])) or "nothing (it is final)"
        super().__init__(
            f"work order {code} is {from_status.value}: it cannot become {to_status.value}; "
            f"from {from_status.value} it can become {allowed}"
        )


class WorkOrderNotFound(LookupError):
    """No work order with that id (the API answers 404)."""

    def __str__(self) -> str:
        return f"no work order {self.args[0]}"


def check_transition(code: str, from_status: Status, to_status: Status) -> None:
    """Raise `IllegalTransition` unless the lifecycle allows `from_status` → `to_status`."""
    if to_status not in TRANSITIONS[from_status]:
        raise IllegalTransition(code, from_status, to_status)
