"""Delivers the outbox: claim what is due, send it, record the outcome; retries with exponential backoff.

Three short transactions per round, none held open while a peer is slow:
1. claim: due rows (pending, or `sending` whose lease ran out) become `sending`, attempts + 1, leased;
2. send, in parallel, outside any transaction;
3. record: delivered, or pending again after the backoff, or failed (attempts used up, refused for good).
A message that can never be delivered ends `failed` with the reason in `last_error`: refused for good by the
peer or its channel (a mail that cannot be written), its attempts used up, every attempt's lease run out with
no outcome (the sender died on it each time), or a stored row no channel can be handed. One such row never
holds up the rows after it.
A dispatcher that dies after 1 leaves leased rows, which any dispatcher takes again once the lease ends; the
repeat carries the same idempotency key. Rows committed but never claimed are simply due. Nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.base import Channel, DeliveryFailed, OutgoingMessage, PermanentFailure, Recipient
from alerts.orm import DeliveryStatus, MessageKind, OutboxRow
from core.clock import Clock
from core.threads import Spawn, ThreadHandle, start_thread

log = logging.getLogger(__name__)
ERROR_MAX = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n fails → the next one `first_delay * 2**(n-1)` later, at most `max_delay`; `max_attempts` in all."""

    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=5)
    max_attempts: int = 12  # about half an hour with the defaults
    lease: timedelta = timedelta(seconds=60)  # longer than any channel's timeout

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.first_delay * 2 ** max(attempts - 1, 0)
        return min(delay, self.max_delay)


@dataclass
class DispatchRound:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    errors: list[str] = field(default_factory=list)


class OutboxDispatcher:
    """`deliver_due()` is one round (tests call it with a fake clock); `start()` runs rounds in a thread."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Mapping[str, Channel],
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        sites: Collection[str] | None = None,
        batch: int = 50,
        workers: int = 4,
        poll_interval_s: float = 1.0,
        spawn: Spawn = start_thread,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.sites = None if sites is None else frozenset(sites)
        self.batch = batch
        self.poll_interval_s = poll_interval_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alert-send")
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: ThreadHandle | None = None
        self.spawn = spawn
        self.error: str | None = None  # the current round's failure, for /health; None once a round works

    def deliver_due(self) -> DispatchRound:
        """Claim, send and record one batch of due messages."""
        result = DispatchRound()
        messages = self._claim(result)
        outcomes = list(self._pool.map(self._send, messages))
        self._record(zip(messages, outcomes, strict=True), result)
        return result

    def wake(self) -> None:
        """Start a round now (after a commit that wrote to the outbox) instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = self.spawn("alert-dispatcher", self._run)

    def stop(self, *, close_channels: bool = True) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._pool.shutdown(wait=True)
        if close_channels:
            for channel in self.channels.values():
                channel.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                claimed = self.deliver_due().claimed
            except Exception as exc:
                # The database may be away for a while; the rows wait in it, so try again later.
                error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
                if error != self.error:  # once per change of state, not once a second
                    log.error("alert dispatch round failed: %s; retrying", error, exc_info=exc)
                self.error, claimed = error, 0
            else:
                if self.error is not None:
                    log.info("alert dispatch works again (after %s)", self.error)
                self.error = None
            if claimed < self.batch:
                self._wake.wait(self.poll_interval_s)

    def _claim(self, result: DispatchRound) -> list[OutgoingMessage]:
        now = self.clock.now()
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
                OutboxRow.next_attempt_at <= now,
            )
            .order_by(OutboxRow.id)
            .limit(self.batch)
            .with_for_update(skip_locked=True)  # several hubs on one PostgreSQL each take their own rows
        )
        if self.sites is not None:
            query = query.where(OutboxRow.site_id.in_(self.sites))
        messages: list[OutgoingMessage] = []
        with write_transaction(self.sessions) as session:
            for row in session.scalars(query).all():
                if row.kind == MessageKind.STATE.value and _newer_state_exists(session, row):
                    row.status, row.next_attempt_at = DeliveryStatus.SUPERSEDED.value, None
                    result.superseded += 1
                    continue
                if row.status == DeliveryStatus.SENDING.value and row.attempts >= self.retry.max_attempts:
                    # Each try's lease ran out with no outcome (the sender died or hung on this message): give up.
                    self._fail(row, f"no outcome after {row.attempts} attempts: the sender stopped or hung each time")
                    result.failed += 1
                    continue
                try:
                    message = _message(row, attempt=row.attempts + 1)
                except Exception as exc:  # a row no channel can be handed must not block the rows after it
                    self._fail(row, f"the stored message cannot be read: {type(exc).__name__}: {exc}")
                    result.failed += 1
                    continue
                row.status = DeliveryStatus.SENDING.value
                row.attempts += 1
                row.last_attempt_at = now
                row.next_attempt_at = now + self.retry.lease
                messages.append(message)
        result.claimed = len(messages)
        return messages

    def _send(self, message: OutgoingMessage) -> DeliveryFailed | None:
        channel = self.channels.get(message.channel_name)
        if channel is None:
            return PermanentFailure(f"no channel {message.channel_name!r} in the alerts file")
        try:
            channel.send(message)
        except DeliveryFailed as exc:
            return exc
        except Exception as exc:
            log.exception("channel %s failed on message %s", message.channel_name, message.key)
            return DeliveryFailed(f"{type(exc).__name__}: {exc}")
        return None

    def _record(self, outcomes: Iterator[tuple[OutgoingMessage, DeliveryFailed | None]], result: DispatchRound) -> None:
        now = self.clock.now()
        with write_transaction(self.sessions) as session:
            for message, error in outcomes:
                row = session.get(OutboxRow, message.row_id, with_for_update=True)
                if row is None or row.status != DeliveryStatus.SENDING.value or row.attempts != message.attempt:
                    continue  # the lease ran out and another dispatcher owns the row now
                if error is None:
                    row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.DELIVERED.value, now, None
                    result.delivered += 1
                    continue
                row.last_error = str(error)[:ERROR_MAX]
                result.errors.append(row.last_error)
                if error.permanent or row.attempts >= self.retry.max_attempts:
                    self._fail(row, row.last_error)
                    result.failed += 1
                else:
                    row.status = DeliveryStatus.PENDING.value
                    row.next_attempt_at = now + self.retry.delay(row.attempts)
                    result.retrying += 1
                    log.warning("alert %s to %s: attempt %d failed: %s", row.idempotency_key, row.channel,
                                row.attempts, error)  # fmt: skip

    @staticmethod
    def _fail(row: OutboxRow, reason: str) -> None:
        """The message will never be delivered: `failed`, with the reason, and no further attempt."""
        row.status, row.next_attempt_at, row.last_error = DeliveryStatus.FAILED.value, None, reason[:ERROR_MAX]
        log.error("alert %s to %s failed for good: %s", row.idempotency_key, row.channel, reason)


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a write transaction, committed at the end; on SQLite the write lock is taken first."""
    with sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            # Like the work orders' unit of work: a reader that later writes would fail, so queue as a writer.
            session.execute(text("BEGIN IMMEDIATE"))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _newer_state_exists(session: Session, row: OutboxRow) -> bool:
    newer = select(OutboxRow.id).where(
        OutboxRow.work_order_id == row.work_order_id,
        OutboxRow.channel == row.channel,
        OutboxRow.kind == MessageKind.STATE.value,
        OutboxRow.id > row.id,
    )
    return session.scalar(newer.limit(1)) is not None


def _message(row: OutboxRow, *, attempt: int) -> OutgoingMessage:
    return OutgoingMessage(
        row_id=row.id,
        key=row.idempotency_key,
        attempt=attempt,
        kind=MessageKind(row.kind),
        channel_name=row.channel,
        site_id=row.site_id,
        order_id=None if row.work_order_id is None else str(row.work_order_id),
        order_code=row.work_order_code,
        team=row.team,
        personal=row.personal,
        level=row.level,
        locale=row.locale,
        title=row.title,
        body=row.body,
        recipients=tuple(Recipient.from_json(r) for r in row.recipients),
        facts=dict(row.facts),
    )
