"""Every move between states, legal and illegal: the legal six succeed, the rest are refused untouched."""

from __future__ import annotations

import itertools

import pytest

from tests.unit.workorders.builders import MINUTE, T0, move, order_in
from workorders.lifecycle import IllegalTransition, Status, WorkOrderConflict

LEGAL = {
    (Status.OPEN, Status.ACKNOWLEDGED),
    (Status.OPEN, Status.CANCELLED),
    (Status.ACKNOWLEDGED, Status.ON_SITE),
    (Status.ACKNOWLEDGED, Status.CANCELLED),
    (Status.ON_SITE, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
}
# No command leads back to open, so every other (from, to) pair is a request to refuse.
TARGETS = [s for s in Status if s is not Status.OPEN]
ILLEGAL = sorted(set(itertools.product(Status, TARGETS)) - LEGAL)


def test_the_tables_cover_every_pair() -> None:
    assert len(LEGAL) == 6
    assert len(ILLEGAL) == 24


@pytest.mark.parametrize(("from_status", "to_status"), sorted(LEGAL))
def test_legal_move_changes_state_and_is_audited(from_status: Status, to_status: Status) -> None:
    order = order_in(from_status)
    audit_before = len(order.audit)
    at = T0 + 30 * MINUTE

    move(order, to_status, actor="tech-zhao", at=at)

    assert order.status is to_status
    entry = order.audit[audit_before]
    assert (entry.from_status, entry.to_status, entry.actor, entry.at) == (from_status, to_status, "tech-zhao", at)
    assert order.updated_at == at


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_illegal_move_is_refused_and_changes_nothing(from_status: Status, to_status: Status) -> None:
    order = order_in(from_status)
    audit_before, events_before, updated_before = len(order.audit), len(order.events), order.updated_at

    with pytest.raises(IllegalTransition) as refused:
        move(order, to_status, at=T0 + 30 * MINUTE)

    assert (refused.value.from_status, refused.value.to_status) == (from_status, to_status)
    assert f"is {from_status.value}: it cannot become {to_status.value}" in str(refused.value)
    assert order.status is from_status
    assert (len(order.audit), len(order.events), order.updated_at) == (audit_before, events_before, updated_before)


def test_refusal_message_names_the_order_and_the_legal_moves() -> None:
    order = order_in(Status.ON_SITE)
    with pytest.raises(IllegalTransition) as refused:
        order.close(actor="tech-wang", at=T0)
    assert str(refused.value) == (
        "work order WO-20261126-0001 is on_site: it cannot become closed; from on_site it can become resolved"
    )


def test_final_states_say_so() -> None:
    with pytest.raises(IllegalTransition, match="from closed it can become nothing \\(it is final\\)"):
        order_in(Status.CLOSED).acknowledge(actor="tech-wang", at=T0)


def test_illegal_transition_is_a_conflict_for_the_api() -> None:
    assert issubclass(IllegalTransition, WorkOrderConflict)


def test_each_step_keeps_its_timestamp() -> None:
    order = order_in(Status.CLOSED)
    assert (order.acknowledged_at, order.arrived_at, order.resolved_at, order.closed_at) == (
        T0 + MINUTE,
        T0 + 2 * MINUTE,
        T0 + 3 * MINUTE,
        T0 + 4 * MINUTE,
    )
    assert order.cancelled_at is None
    assert order.resolution == "Replaced the gasket"


def test_cancel_keeps_time_and_reason() -> None:
    order = order_in(Status.CANCELLED)
    assert (order.cancelled_at, order.cancel_reason) == (T0 + MINUTE, "Duplicate of WO-20261126-0002")


@pytest.mark.parametrize("blank", ["", "   "])
def test_resolve_needs_notes_and_cancel_needs_a_reason(blank: str) -> None:
    on_site, open_order = order_in(Status.ON_SITE), order_in(Status.OPEN)
    with pytest.raises(ValueError, match="resolution notes must not be empty"):
        on_site.resolve(actor="tech-wang", resolution=blank, at=T0)
    with pytest.raises(ValueError, match="cancel reason must not be empty"):
        open_order.cancel(actor="tech-wang", reason=blank, at=T0)
    assert (on_site.status, open_order.status) == (Status.ON_SITE, Status.OPEN)
