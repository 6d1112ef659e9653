"""A message that can never be delivered ends `failed` with the reason, and holds up no other message.

Issue 17: a title the e-mail channel could not write made every attempt fail the same way. The channels now
write such titles on one line (test_email_channel.py); what cannot be delivered whatever we do must end, with
its reason, after its attempts: a sender that dies on it each time, a stored row no channel can be handed,
a channel that raises on it every time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from alerts.channels.base import OutgoingMessage
from alerts.dispatcher import DispatchRound, RetryPolicy
from alerts.orm import OutboxRow
from tests.integration.alerts.conftest import Rig

RETRY = RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=5), lease=timedelta(seconds=60))


class Exploding:
    """A channel with a bug that shows on every message."""

    name = "app"

    def __init__(self) -> None:
        self.tries = 0

    def send(self, message: OutgoingMessage) -> None:
        self.tries += 1
        raise RuntimeError("template slot 'floor' missing")

    def close(self) -> None:
        pass


def test_a_message_the_sender_dies_on_every_time_ends_failed_after_its_attempts(rig: Rig) -> None:
    rig.open_entrapment()
    for _ in range(RETRY.max_attempts):
        dying = rig.dispatcher(retry=RETRY)
        assert len(dying._claim(DispatchRound())) == 2  # claimed, then the process died mid-send
        rig.clock.advance(RETRY.lease)

    result = rig.dispatcher(retry=RETRY).deliver_due()

    assert (result.claimed, result.failed) == (0, 2)
    assert [(r.status, r.attempts, r.next_attempt_at, r.last_error) for r in rig.rows()] == [
        ("failed", 3, None, "no outcome after 3 attempts: the sender stopped or hung each time")
    ] * 2
    assert rig.peer.requests == []


def test_a_row_no_channel_can_be_handed_fails_at_once_and_the_next_one_goes(rig: Rig) -> None:
    rig.open_entrapment()
    broken, state = rig.rows()
    with rig.sessions() as session:  # written by an older hub, or by hand: a recipient that is not an object
        session.execute(update(OutboxRow).where(OutboxRow.id == broken.id).values(recipients=[42]))
        session.commit()

    result = rig.dispatcher(retry=RETRY).deliver_due()

    assert (result.claimed, result.delivered, result.failed) == (1, 1, 1)
    broken, state = rig.rows()
    assert (broken.status, broken.attempts, broken.next_attempt_at) == ("failed", 0, None)
    assert broken.last_error == "the stored message cannot be read: AttributeError: 'int' object has no attribute 'get'"
    assert state.status == "delivered"
    rig.clock.advance(timedelta(days=1))
    assert rig.dispatcher(retry=RETRY).deliver_due().claimed == 0  # never picked up again


def test_a_channel_that_raises_every_time_ends_failed_with_its_error(rig: Rig) -> None:
    rig.app = Exploding()
    rig.open_entrapment()
    dispatcher = rig.dispatcher(retry=RETRY)

    rounds = []
    for _ in range(RETRY.max_attempts):
        rounds.append(dispatcher.deliver_due())
        rig.clock.advance(timedelta(minutes=1))

    assert [(r.retrying, r.failed) for r in rounds] == [(1, 0), (1, 0), (0, 1)]
    [state] = rig.rows(kind="state")
    assert (state.status, state.attempts, state.next_attempt_at) == ("failed", 3, None)
    assert state.last_error == "RuntimeError: template slot 'floor' missing"
    assert rig.app.tries == 3
    [alert] = rig.rows(kind="alert")
    assert alert.status == "delivered"  # the webhook's message went on its own
