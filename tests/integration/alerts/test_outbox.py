"""The outbox on SQLite and PostgreSQL: written with the order, delivered once, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest

from alerts.deliveries import delivery_counts, list_deliveries
from alerts.dispatcher import DispatchRound, OutboxDispatcher, RetryPolicy
from alerts.orm import DeliveryStatus
from tests.integration.alerts.conftest import Rig
from tests.integration.alerts.peers import Reply
from tests.unit.workorders.builders import T0, elevator_alarm, new_order
from workorders import service
from workorders.unit_of_work import ConcurrentUpdate

SECOND = timedelta(seconds=1)


def test_opening_an_order_writes_its_alert_and_state_in_the_same_transaction(rig: Rig) -> None:
    ref = rig.open_entrapment()
    alert, state = rig.rows()
    assert (alert.kind, alert.team, alert.channel, alert.status) == ("alert", "elevator-crew", "crew-hook", "pending")
    assert (alert.work_order_id, alert.work_order_code, alert.attempts) == (ref.order_id, ref.code, 0)
    assert alert.recipients == [
        {"id": "wang", "name": "王师傅", "phone": "13800000001", "email": "", "wecom_id": "", "link": ""}
    ]
    assert alert.title == "【紧急】Passenger trapped between floors 3 and 4 · B1-L1"
    assert (state.kind, state.channel) == ("state", "app")
    assert alert.idempotency_key != state.idempotency_key


def test_an_order_that_fails_to_commit_leaves_no_message(rig: Rig) -> None:
    uow = rig.uow()
    with pytest.raises(ConcurrentUpdate), uow:
        # Two orders with one code: the unique key refuses the second at commit, after the outbox was written.
        for _ in range(2):
            order = new_order(at=T0)
            order.site_id = rig.site_id
            uow.work_orders.add(order)
        uow.commit()
    assert rig.rows() == []


def test_a_crash_between_commit_and_send_loses_nothing_and_sends_once(rig: Rig) -> None:
    rig.open_entrapment()
    rig.dispatcher()  # built, then "killed" before its first round: the rows only exist in the database
    restarted = rig.dispatcher()
    first = restarted.deliver_due()
    again = restarted.deliver_due()
    assert (first.delivered, again.claimed) == (2, 0)
    [request] = rig.peer.requests
    assert request.path == "/crew"
    assert [m.kind.value for m in rig.app.sent] == ["state"]
    assert [(r.status, r.attempts) for r in rig.rows()] == [("delivered", 1), ("delivered", 1)]


def test_a_dispatcher_killed_after_claiming_is_replaced_once_the_lease_ends(rig: Rig) -> None:
    rig.open_entrapment()
    dead = rig.dispatcher()
    claimed = dead._claim(DispatchRound())  # claimed, then killed before it sent anything
    assert len(claimed) == 2
    survivor = rig.dispatcher()
    assert survivor.deliver_due().claimed == 0  # still leased
    rig.clock.advance(RetryPolicy().lease)
    assert survivor.deliver_due().delivered == 2
    assert len(rig.peer.requests) == 1


def test_a_retry_after_a_timeout_carries_the_same_key_and_the_peer_keeps_one(rig: Rig) -> None:
    rig.open_entrapment()
    answer_late = threading.Event()
    rig.peer.replies.append(Reply(hold=answer_late))  # the peer takes it but answers after we gave up
    dispatcher = rig.dispatcher(timeout_s=0.3)
    first = dispatcher.deliver_due()
    answer_late.set()
    assert (first.delivered, first.retrying) == (1, 1)  # the state went; the alert timed out
    assert "no answer in time" in first.errors[0]
    rig.clock.advance(5 * SECOND)
    assert dispatcher.deliver_due().delivered == 1
    keys = [r.headers["Idempotency-Key"] for r in rig.peer.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(rig.peer.accepted) == 1  # the peer dropped the repeat by its key
    assert rig.peer.requests[1].json()["idempotency_key"] == keys[0]
    [alert] = rig.rows(kind="alert")
    assert (alert.status, alert.attempts) == ("delivered", 2)


def test_failed_attempts_back_off_exponentially_on_the_injected_clock(rig: Rig) -> None:
    rig.open_entrapment()
    rig.peer.replies.extend([Reply(status=503), Reply(status=500), Reply(status=502, body={"error": "gateway"})])
    dispatcher = rig.dispatcher()
    dispatcher.deliver_due()
    for delay in (5, 10, 20):  # first_delay 5 s, doubling
        [alert] = rig.rows(kind="alert")
        assert alert.next_attempt_at == rig.clock.now() + delay * SECOND
        rig.clock.advance(delay * SECOND - timedelta(microseconds=1))
        assert dispatcher.deliver_due().claimed == 0  # not yet
        rig.clock.advance(timedelta(microseconds=1))
        assert dispatcher.deliver_due().claimed == 1
    [alert] = rig.rows(kind="alert")
    assert (alert.status, alert.attempts, alert.last_error) == (
        "delivered",
        4,
        'crew-hook: HTTP 502 {"error": "gateway"}',
    )


def test_attempts_used_up_fail_the_message(rig: Rig) -> None:
    rig.open_entrapment()
    rig.peer.replies.extend([Reply(status=500), Reply(status=500)])
    dispatcher = rig.dispatcher(retry=RetryPolicy(max_attempts=2))
    dispatcher.deliver_due()
    rig.clock.advance(5 * SECOND)
    assert dispatcher.deliver_due().failed == 1
    [alert] = rig.rows(kind="alert")
    assert (alert.status, alert.attempts, alert.next_attempt_at) == ("failed", 2, None)


def test_a_refusal_fails_the_message_at_once(rig: Rig) -> None:
    rig.open_entrapment()
    rig.peer.replies.append(Reply(status=400, body={"error": "no such phone"}))
    assert rig.dispatcher().deliver_due().failed == 1
    [alert] = rig.rows(kind="alert")
    assert (alert.status, alert.attempts, alert.last_error) == (
        "failed",
        1,
        'crew-hook: HTTP 400 {"error": "no such phone"}',
    )


def test_the_webhook_is_signed_and_the_api_lists_each_delivery(rig: Rig) -> None:
    ref = rig.open_entrapment()
    rig.dispatcher().deliver_due()
    [request] = rig.peer.requests
    timestamp = request.headers["X-Facilities-Timestamp"]
    assert timestamp == str(int(T0.timestamp()))
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Facilities-Signature"] == f"sha256={expected}"
    with rig.sessions() as session:
        listed = list_deliveries(session, work_order_id=ref.order_id)
        counts = delivery_counts(session, site_id=rig.site_id)
    assert [(d.kind, d.channel, d.status, d.attempts, d.recipients) for d in listed] == [
        ("state", "app", "delivered", 1, ()),
        ("alert", "crew-hook", "delivered", 1, ("wang",)),
    ]
    assert listed[1].delivered_at == T0
    assert counts == {"pending": 0, "sending": 0, "delivered": 2, "failed": 0, "superseded": 0}


def test_an_older_state_is_superseded_by_a_newer_one(rig: Rig) -> None:
    ref = rig.open_entrapment()
    rig.clock.advance(60 * SECOND)
    service.acknowledge(rig.uow(), order_id=ref.order_id, actor="wang", clock=rig.clock)
    result = rig.dispatcher().deliver_due()
    assert result.superseded == 1
    assert [m.facts["status"] for m in rig.app.sent] == ["acknowledged"]
    assert [r.status for r in rig.rows(kind="state")] == [DeliveryStatus.SUPERSEDED, DeliveryStatus.DELIVERED]


def test_two_dispatchers_at_once_send_each_message_once(rig: Rig) -> None:
    for n in range(8):
        service.open_from_alarm(rig.uow(), elevator_alarm(site_id=rig.site_id, asset_id=f"B1-L{n}"), clock=rig.clock)
    dispatchers = [rig.dispatcher(), rig.dispatcher()]
    for dispatcher in dispatchers:
        dispatcher.batch = 3
    start = threading.Barrier(2)

    def drain(dispatcher: OutboxDispatcher) -> None:
        start.wait()
        while dispatcher.deliver_due().claimed:
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    keys = [r.headers["Idempotency-Key"] for r in rig.peer.requests]
    assert len(keys) == 8 and len(set(keys)) == 8
    assert {r.status for r in rig.rows()} == {"delivered"}
