"""The aggregate's records: the audit log of every change, comments, follow-up calls, alarms, events."""

from __future__ import annotations

import pytest

from tests.unit.workorders.builders import MINUTE, T0, new_order, order_in
from workorders.events import (
    AlarmAppended,
    AlarmClearedNoted,
    CommentAdded,
    FollowUpRecorded,
    TechnicianArrived,
    WorkOrderAcknowledged,
    WorkOrderAssigned,
    WorkOrderClosed,
    WorkOrderOpened,
    WorkOrderResolved,
)
from workorders.lifecycle import Status, WorkOrderConflict
from workorders.values import SYSTEM_ACTOR, AlarmOccurrence, AuditAction, Comment, FollowUp, Satisfaction


def occurrence(minutes: int, *, rule_id: str = "plumbing.leak") -> AlarmOccurrence:
    return AlarmOccurrence(
        rule_id=rule_id,
        severity="major",
        raised_at=T0 + minutes * MINUTE,
        message="flow with the unit empty",
        recorded_at=T0 + minutes * MINUTE,
        evidence={"flow_m3_h": 0.4},
    )


def test_a_whole_life_is_audited_with_actor_action_and_states() -> None:
    order = new_order()
    order.assign(assignee=None, team="plumbing", actor="dispatcher-chen", at=T0 + MINUTE)
    order.acknowledge(actor="tech-wang", at=T0 + 2 * MINUTE)
    order.add_comment(author="tech-wang", text="Bringing a spare gasket", at=T0 + 3 * MINUTE)
    order.arrive(actor="tech-wang", at=T0 + 10 * MINUTE)
    order.resolve(actor="tech-wang", resolution="Replaced the gasket", at=T0 + 40 * MINUTE)
    order.record_follow_up(actor="cs-liu", satisfaction=Satisfaction.SATISFIED, feedback="Quick", at=T0 + 90 * MINUTE)
    order.close(actor="cs-liu", at=T0 + 91 * MINUTE)

    assert [(e.action, e.actor, e.from_status, e.to_status) for e in order.audit] == [
        (AuditAction.OPENED, "clerk-li", None, Status.OPEN),
        (AuditAction.ASSIGNED, "dispatcher-chen", None, None),
        (AuditAction.ACKNOWLEDGED, "tech-wang", Status.OPEN, Status.ACKNOWLEDGED),
        (AuditAction.COMMENTED, "tech-wang", None, None),
        (AuditAction.ARRIVED, "tech-wang", Status.ACKNOWLEDGED, Status.ON_SITE),
        (AuditAction.RESOLVED, "tech-wang", Status.ON_SITE, Status.RESOLVED),
        (AuditAction.FOLLOWED_UP, "cs-liu", None, None),
        (AuditAction.CLOSED, "cs-liu", Status.RESOLVED, Status.CLOSED),
    ]
    assert [e.at for e in order.audit] == [T0 + m * MINUTE for m in (0, 1, 2, 3, 10, 40, 90, 91)]
    assert order.audit[0].details == {"category": "plumbing", "priority": "normal", "source": "staff"}
    assert order.audit[1].details == {"team": "plumbing"}
    assert order.audit[5].details == {"resolution": "Replaced the gasket"}
    assert [type(e) for e in order.events] == [
        WorkOrderOpened,
        WorkOrderAssigned,
        WorkOrderAcknowledged,
        CommentAdded,
        TechnicianArrived,
        WorkOrderResolved,
        FollowUpRecorded,
        WorkOrderClosed,
    ]


def test_acknowledging_makes_the_technician_the_assignee_unless_one_was_dispatched() -> None:
    taken = order_in(Status.ACKNOWLEDGED)
    dispatched = new_order()
    dispatched.assign(assignee="tech-zhao", team=None, actor="dispatcher-chen", at=T0)
    dispatched.acknowledge(actor="tech-wang", at=T0 + MINUTE)
    assert (taken.assignee, dispatched.assignee) == ("tech-wang", "tech-zhao")


def test_comments_keep_author_text_and_time() -> None:
    order = order_in(Status.CLOSED)
    order.add_comment(author="cs-liu", text="Resident called to thank the crew", at=T0 + 60 * MINUTE)
    assert order.comments == [Comment(T0 + 60 * MINUTE, "cs-liu", "Resident called to thank the crew")]
    assert order.audit[-1].details == {"text": "Resident called to thank the crew"}


def test_an_empty_comment_is_refused() -> None:
    order = new_order()
    with pytest.raises(ValueError, match="comment must not be empty"):
        order.add_comment(author="cs-liu", text=" ", at=T0)
    assert order.comments == []


@pytest.mark.parametrize("status", [Status.OPEN, Status.ACKNOWLEDGED, Status.ON_SITE, Status.CANCELLED])
def test_follow_up_only_after_resolve(status: Status) -> None:
    order = order_in(status)
    with pytest.raises(WorkOrderConflict, match=f"is {status.value}: the follow-up call comes after it is resolved"):
        order.record_follow_up(actor="cs-liu", satisfaction=Satisfaction.NEUTRAL, feedback="", at=T0)
    assert order.follow_ups == []


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_follow_up_records_the_residents_verdict(status: Status) -> None:
    order = order_in(status)
    order.record_follow_up(
        actor="cs-liu", satisfaction=Satisfaction.DISSATISFIED, feedback="Took two visits", at=T0 + 60 * MINUTE
    )
    assert order.follow_ups == [FollowUp(T0 + 60 * MINUTE, "cs-liu", Satisfaction.DISSATISFIED, "Took two visits")]
    assert order.audit[-1].details == {"satisfaction": "dissatisfied"}


def test_appending_alarms_counts_them_and_a_redelivered_one_changes_nothing() -> None:
    order = new_order()
    assert order.append_alarm(occurrence(1), at=T0 + MINUTE) is True
    assert order.append_alarm(occurrence(2), at=T0 + 2 * MINUTE) is True
    audit_before = len(order.audit)

    assert order.append_alarm(occurrence(1), at=T0 + 3 * MINUTE) is False

    assert [a.raised_at for a in order.alarms] == [T0 + MINUTE, T0 + 2 * MINUTE]
    assert len(order.audit) == audit_before
    appended = [e for e in order.events if isinstance(e, AlarmAppended)]
    assert [e.occurrences for e in appended] == [1, 2]
    assert order.audit[-1].actor == SYSTEM_ACTOR


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.CANCELLED])
def test_no_alarm_is_appended_to_an_order_that_is_done(status: Status) -> None:
    order = order_in(status)
    with pytest.raises(WorkOrderConflict, match=f"is {status.value}: cannot append an alarm"):
        order.append_alarm(occurrence(1), at=T0)


def test_alarm_cleared_is_a_system_note_and_leaves_the_state() -> None:
    order = order_in(Status.ACKNOWLEDGED)
    order.note_alarm_cleared(
        rule_id="plumbing.leak", cleared_at=T0 + 5 * MINUTE, message="flow back to zero", at=T0 + 6 * MINUTE
    )
    assert order.status is Status.ACKNOWLEDGED
    assert order.comments == [
        Comment(
            T0 + 6 * MINUTE, SYSTEM_ACTOR, "Alarm plumbing.leak cleared at 2026-11-26T08:05:00+00:00: flow back to zero"
        )
    ]
    assert order.audit[-1].action is AuditAction.ALARM_CLEARED
    assert isinstance(order.events[-1], AlarmClearedNoted)


def test_a_done_order_cannot_be_reassigned() -> None:
    with pytest.raises(WorkOrderConflict, match="is resolved: cannot assign it"):
        order_in(Status.RESOLVED).assign(assignee="tech-zhao", team=None, actor="dispatcher-chen", at=T0)
